/// How ``ImageDecoder`` turns a file into RGB.
///
/// The defaults reproduce what transformers' `CLIPImageProcessor` sees when it is given
/// `PIL.Image.open(path)`: no EXIF rotation, transparency composited onto white, and a pixel limit.
public struct DecodeOptions: Sendable, Equatable {
    /// What to do with an alpha channel or a transparent palette entry / colour key.
    public enum AlphaHandling: Sendable, Equatable {
        /// `out = round((c·a + 255·(255 − a)) / 255)`, as transformers 5.x `convert_to_rgb` does with
        /// `PIL.Image.alpha_composite` onto an opaque white background.
        case compositeOnWhite
        /// Drop alpha and transparency, keeping the stored colours, as Pillow's `image.convert("RGB")`
        /// (and therefore `transformers.image_utils.load_image`) does.
        case discard
    }

    /// Pillow's `Image.MAX_IMAGE_PIXELS`: above it Pillow warns about a possible decompression bomb.
    public static let pillowMaxImagePixels = 89_478_485

    /// Rotate / mirror the image according to its EXIF (or XMP) orientation tag, as
    /// `PIL.ImageOps.exif_transpose` does. Off by default: a bare `Image.open` ignores the tag.
    public var applyExifOrientation: Bool
    /// How transparency is removed.
    public var alpha: AlphaHandling
    /// Images whose header declares more pixels than this are refused before any pixel is decoded.
    public var maxPixels: Int

    /// - Parameters:
    ///   - applyExifOrientation: rotate by the EXIF orientation tag (default `false`).
    ///   - alpha: how transparency is removed (default ``AlphaHandling/compositeOnWhite``).
    ///   - maxPixels: decompression-bomb limit (default ``pillowMaxImagePixels``).
    public init(
        applyExifOrientation: Bool = false,
        alpha: AlphaHandling = .compositeOnWhite,
        maxPixels: Int = DecodeOptions.pillowMaxImagePixels
    ) {
        self.applyExifOrientation = applyExifOrientation
        self.alpha = alpha
        self.maxPixels = maxPixels
    }

    /// What `CLIPImageProcessor` receives from `PIL.Image.open(path)` (the default).
    public static let processor = DecodeOptions()

    /// What `transformers.image_utils.load_image(path)` returns: EXIF orientation applied, then a plain
    /// `convert("RGB")` that drops alpha.
    public static let loadImage = DecodeOptions(applyExifOrientation: true, alpha: .discard)
}
