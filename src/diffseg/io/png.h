#pragma once
// PNG through libpng: 8- and 16-bit greyscale read and write; palette, RGB and alpha images are read and converted
// to grey. A PNG has no physical spacing, so its geometry is spacing 1 (distances in pixels), origin 0, and the
// image axes x = column, y = row.
#include <filesystem>

#include "diffseg/io/image.h"

namespace diffseg::io {

// Returns a 2D single-channel uint8 or uint16 image. Colour is converted to grey with the ITU-R 601 luma weights
// (exact for R = G = B, as in the muscle-ultrasound RGBA masks).
Image read_png(const std::filesystem::path& path);

// Writes a 2D single-channel image as 8-bit (uint8) or 16-bit (uint16, or other integer types whose values fit),
// or a 3-channel uint8 image as RGB (figures: overlays, uncertainty maps). UsageError naming the file for an image
// whose geometry a PNG cannot hold (spacing other than 1, origin other than 0, rotated axes): write NIfTI instead.
bool png_holds_geometry(const Geometry& geometry);
void write_png(const std::filesystem::path& path, const Image& image);

}  // namespace diffseg::io
