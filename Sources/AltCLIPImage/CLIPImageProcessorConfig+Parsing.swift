import AltCLIPJSON
import Foundation

extension CLIPImageProcessorConfig {
    /// Applies transformers' `_set_attributes` / `_standardize_kwargs` / `get_size_dict` rules:
    /// `null` means the class default; a legacy integer `size` is `shortest_edge` (CLIP's
    /// `default_to_square` is false) and a legacy integer `crop_size` is square; a `[h, w]` list is
    /// `{height, width}`; `use_square_size` (KOSMOS-2) makes the size 224×224.
    init(dictionary d: [String: JSONValue], file: String) throws {
        self.init()
        let reader = ConfigReader(dictionary: d, file: file)
        if let v = try reader.bool("do_resize") { doResize = v }
        if let v = try reader.bool("do_center_crop") { doCenterCrop = v }
        if let v = try reader.bool("do_rescale") { doRescale = v }
        if let v = try reader.bool("do_normalize") { doNormalize = v }
        if let v = try reader.bool("do_convert_rgb") { doConvertRgb = v }
        if let v = try reader.bool("do_pad") { doPad = v }
        let defaultToSquare = try reader.bool("default_to_square") ?? false
        if let v = try reader.number("rescale_factor") { rescaleFactor = v }
        if let v = try reader.int("resample") {
            guard let filter = ResamplingFilter(rawValue: v) else {
                throw ImageError.invalidConfigValue(
                    file: file, key: "resample", expected: "a PIL resampling code 0...7", actual: String(v))
            }
            resample = filter
        }
        if let v = try reader.channelValues("image_mean") { imageMean = v }
        if let v = try reader.channelValues("image_std") { imageStd = v }

        let sizeDict = try reader.sizeDict("size", defaultToSquare: defaultToSquare)
        if let sizeDict {
            size = try Self.size(from: sizeDict, file: file, required: doResize)
        }
        if try reader.bool("use_square_size") == true { size = .heightWidth(height: 224, width: 224) }
        if let crop = try reader.sizeDict("crop_size", defaultToSquare: true) {
            guard let h = crop["height"], let w = crop["width"], crop.count == 2 else {
                throw ImageError.invalidConfigValue(
                    file: file, key: "crop_size", expected: "{height, width}", actual: "\(crop.keys.sorted())")
            }
            cropSize = (h, w)
        }
        if let pad = try reader.sizeDict("pad_size", defaultToSquare: true) {
            guard let h = pad["height"], let w = pad["width"] else {
                throw ImageError.invalidConfigValue(
                    file: file, key: "pad_size", expected: "{height, width}", actual: "\(pad.keys.sorted())")
            }
            padSize = (h, w)
        }
        try validate(file: file)
    }

    private static func size(from dict: [String: Int], file: String, required: Bool) throws -> Size? {
        let keys = Set(dict.keys)
        switch keys {
        case ["shortest_edge"]: return .shortestEdge(dict["shortest_edge"]!)
        case ["shortest_edge", "longest_edge"]:
            return .shortestAndLongestEdge(shortest: dict["shortest_edge"]!, longest: dict["longest_edge"]!)
        case ["max_height", "max_width"]:
            return .maxHeightWidth(maxHeight: dict["max_height"]!, maxWidth: dict["max_width"]!)
        case ["height", "width"]: return .heightWidth(height: dict["height"]!, width: dict["width"]!)
        default:
            guard required else { return nil }
            throw ImageError.invalidConfigValue(
                file: file, key: "size",
                expected: "{shortest_edge}, {shortest_edge, longest_edge}, {max_height, max_width} or {height, width}",
                actual: "\(dict.keys.sorted())")
        }
    }

    /// The largest image side a config may ask for.
    static let maxSide = 1 << 16

    /// transformers' `validate_preprocess_arguments`, plus bounds so no later step can fail or overflow.
    func validate(file: String) throws {
        // Every side is positive and at most 65,536 pixels (the largest side any codec here accepts), so
        // products of sizes cannot overflow; fixed output sizes are bounded by Pillow's pixel limit.
        func positive(_ key: String, _ values: Int...) throws {
            for v in values where v <= 0 || v > Self.maxSide {
                throw ImageError.invalidConfigValue(
                    file: file, key: key, expected: "sizes between 1 and \(Self.maxSide)", actual: String(v))
            }
        }
        func area(_ key: String, _ height: Int, _ width: Int) throws {
            try positive(key, height, width)
            guard height * width <= DecodeOptions.pillowMaxImagePixels else {
                throw ImageError.invalidConfigValue(
                    file: file, key: key, expected: "at most \(DecodeOptions.pillowMaxImagePixels) pixels",
                    actual: "\(height) x \(width)")
            }
        }
        if doResize {
            switch size {
            case .shortestEdge(let s)?: try positive("size", s)
            case .shortestAndLongestEdge(let s, let l)?: try positive("size", s, l)
            case .maxHeightWidth(let h, let w)?: try area("size", h, w)
            case .heightWidth(let h, let w)?: try area("size", h, w)
            case nil:
                throw ImageError.invalidConfigValue(file: file, key: "size", expected: "a size when do_resize is true", actual: "null")
            }
        }
        if doCenterCrop {
            guard let cropSize else {
                throw ImageError.invalidConfigValue(file: file, key: "crop_size", expected: "a size when do_center_crop is true", actual: "null")
            }
            try area("crop_size", cropSize.height, cropSize.width)
        }
        if doPad {
            guard let padSize else {
                throw ImageError.invalidConfigValue(file: file, key: "pad_size", expected: "a size when do_pad is true", actual: "null")
            }
            try area("pad_size", padSize.height, padSize.width)
        }
        if doNormalize {
            for (key, values) in [("image_mean", imageMean), ("image_std", imageStd)] where values.count != 3 {
                throw ImageError.invalidConfigValue(
                    file: file, key: key, expected: "a number or 3 numbers", actual: "\(values.count) numbers")
            }
        }
    }
}

/// Typed access to the JSON object, with `null` meaning "absent".
private struct ConfigReader {
    let dictionary: [String: JSONValue]
    let file: String

    private func value(_ key: String) -> JSONValue? {
        guard let v = dictionary[key], v != .null else { return nil }
        return v
    }

    private func fail(_ key: String, _ expected: String, _ v: JSONValue) -> ImageError {
        .invalidConfigValue(file: file, key: key, expected: expected, actual: v.description)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw fail(key, "true or false", v) }
        return b
    }

    func number(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        guard let n = v.numberValue else { throw fail(key, "a number", v) }
        return n
    }

    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        return try integer(v, key: key)
    }

    private func integer(_ v: JSONValue, key: String) throws -> Int {
        switch v {
        case .integer(let i): if let i = Int(exactly: i) { return i }
        case .number(let n): if let i = Int(exactly: n) { return i }
        default: break
        }
        throw fail(key, "an integer", v)
    }

    /// A number (same for all channels) or a list of numbers.
    func channelValues(_ key: String) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        switch v {
        case .integer, .number: return Array(repeating: v.numberValue!, count: 3)
        case .array(let list):
            return try list.map { item in
                guard let n = item.numberValue else { throw fail(key, "numbers", v) }
                return n
            }
        default: throw fail(key, "a number or a list of numbers", v)
        }
    }

    /// `get_size_dict`: an integer, a `[h, w]` list or an object of integers.
    func sizeDict(_ key: String, defaultToSquare: Bool) throws -> [String: Int]? {
        guard let v = value(key) else { return nil }
        switch v {
        case .object(let object):
            var out: [String: Int] = [:]
            for (k, item) in object where item != .null { out[k] = try integer(item, key: "\(key).\(k)") }
            return out
        case .array(let list):
            guard list.count == 2 else { throw fail(key, "[height, width]", v) }
            return ["height": try integer(list[0], key: key), "width": try integer(list[1], key: key)]
        default:
            let s = try integer(v, key: key)
            return defaultToSquare ? ["height": s, "width": s] : ["shortest_edge": s]
        }
    }
}
