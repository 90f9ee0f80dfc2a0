/// The tensor operations AltCLIP's forward pass needs, with PyTorch semantics.
///
/// Shapes follow PyTorch. A shape that does not fit is a programmer error (`precondition`); values that
/// come from user data (token ids) are checked and throw `TensorError`. Ops return new tensors and
/// never modify their inputs. GEMMs run on `GEMMBackend.current`; the other loops use `Threading`.
public enum Ops {}
