// Host of the precompiled LibTorch headers (cmake/torch_pch.cmake): a target needs a source file to have its
// precompiled header made; the headers themselves are the point.
