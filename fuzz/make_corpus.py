#!/usr/bin/python3
"""Writes the fuzz seed corpus fuzz/corpus/<target>/ (run with Debian's /usr/bin/python3: numpy, nibabel).

    /usr/bin/python3 fuzz/make_corpus.py [--build BUILD]

Seeds are small and, but for the checkpoint (its records are named after the temporary file save_checkpoint
writes, which holds the process id), the same bytes on every run. Their names say what the readers must do with them,
which the replay test (tests/fuzz/test_fuzz_replay.cpp) checks: "ok_*" must be accepted, "bad_*" refused with a
diffseg error; other names only have to come back. NIfTI files are written by nibabel (an independent writer, as
scanners' files are), PNGs by the small encoder below (every colour type, bit depth, filter and interlacing that
libpng decodes), the checkpoint by BUILD/fuzz/write_checkpoint_seed (built on demand), the configs are the
shipped ones. Inputs that made a fuzzer crash live in fuzz/regressions/<target>/ and are not touched here.
"""
import argparse
import gzip
import json
import pathlib
import shutil
import struct
import subprocess
import zlib

import nibabel as nib
import numpy as np

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent


def rotated_affine(spacing, origin=(-12.5, 30.25, 7.0), angle=0.3):
    """A voxel → world mapping with rotation and anisotropic spacing, so geometry handling is exercised."""
    c, s = np.cos(angle), np.sin(angle)
    a = np.eye(4)
    a[:3, :3] = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ np.diag(spacing)
    a[:3, 3] = origin
    return a


def pattern(shape, dtype):
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    if np.issubdtype(np.dtype(dtype), np.integer):
        return ((values * 37) % 251).astype(dtype)
    return (np.sin(0.37 * values) * 1000.0 + 0.125).astype(dtype)


def nifti_bytes(data, version=1, affine=None, sform=True, qform=True, endianness="<", slope=None,
                extension=False):
    image_class, header_class = (nib.Nifti1Image, nib.Nifti1Header) if version == 1 else (nib.Nifti2Image,
                                                                                         nib.Nifti2Header)
    header = header_class(endianness=endianness)
    header.set_data_dtype(data.dtype)
    affine = rotated_affine((0.75, 1.25, 2.5)) if affine is None else affine
    image = image_class(data, affine, header=header)
    image.set_sform(affine if sform else None, code=1 if sform else 0)
    image.set_qform(affine if qform else None, code=1 if qform else 0)
    if slope is not None:
        image.header.set_slope_inter(*slope)
    if extension:
        image.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"seed with an extension"))
    return image.to_bytes()


def nifti_seeds():
    no_orientation = np.diag([0.5, 0.5, 3.0, 1.0])
    with_nan = pattern((4, 3, 2), np.float32)
    with_nan[0, 0, 0], with_nan[1, 0, 0] = np.nan, np.inf
    return {
        "ok_nifti1_uint8_2d.nii": nifti_bytes(pattern((5, 4), np.uint8)),
        "ok_nifti1_int16_3d.nii": nifti_bytes(pattern((4, 3, 2), np.int16)),
        "ok_nifti1_uint16_3d_big_endian.nii": nifti_bytes(pattern((4, 3, 2), np.uint16), endianness=">"),
        "ok_nifti1_int32_qform_only.nii": nifti_bytes(pattern((3, 3, 3), np.int32), sform=False),
        "ok_nifti1_float32_4d_channels.nii": nifti_bytes(pattern((3, 3, 2, 2), np.float32)),
        "ok_nifti1_float64_3d.nii": nifti_bytes(pattern((3, 2, 2), np.float64)),
        "ok_nifti1_int16_scaled.nii": nifti_bytes(pattern((4, 3, 2), np.int16), slope=(2.0, -1.0)),
        "ok_nifti1_pixdim_only.nii": nifti_bytes(pattern((4, 3, 2), np.uint8), affine=no_orientation, sform=False,
                                                 qform=False),
        "ok_nifti1_nan_inf.nii": nifti_bytes(with_nan),
        "ok_nifti1_extension.nii": nifti_bytes(pattern((4, 3, 2), np.int16), extension=True),
        "ok_nifti2_float32_3d.nii": nifti_bytes(pattern((4, 3, 2), np.float32), version=2),
        "ok_nifti2_int16_2d_big_endian.nii": nifti_bytes(pattern((5, 4), np.int16), version=2, endianness=">"),
        "bad_truncated.nii": nifti_bytes(pattern((4, 3, 2), np.int16))[:360],
        "bad_magic.nii": nifti_bytes(pattern((4, 3, 2), np.int16)).replace(b"n+1\0", b"xx1\0", 1),
        "bad_complex64.nii": nifti_bytes(pattern((4, 3, 2), np.complex64)),
        "bad_5d.nii": nifti_bytes(pattern((2, 2, 2, 1, 2), np.uint8)),
    }


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def nifti_gz_seeds(plain):
    seeds = {name + ".gz": gz(plain[name]) for name in (
        "ok_nifti1_uint8_2d.nii", "ok_nifti1_int16_3d.nii", "ok_nifti1_float32_4d_channels.nii",
        "ok_nifti1_uint16_3d_big_endian.nii", "ok_nifti2_float32_3d.nii", "ok_nifti1_extension.nii")}
    whole = gz(plain["ok_nifti1_int16_3d.nii"])
    seeds["bad_truncated_stream.nii.gz"] = whole[:len(whole) // 2]
    seeds["bad_truncated_voxels.nii.gz"] = gz(plain["ok_nifti1_int16_3d.nii"][:370])
    # zlib reads an uncompressed file through the same calls; what that gives is left to the readers.
    seeds["plain_bytes.nii.gz"] = plain["ok_nifti1_int16_3d.nii"]
    return seeds


# --- PNG: a small encoder, so every colour type, bit depth, filter and Adam7 interlacing has a seed ---

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type → samples per pixel


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def pack_row(samples, bit_depth):
    """One row of samples (ints) as PNG bytes: packed below 8 bits, big-endian at 16."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", v) for v in samples)
    if bit_depth == 8:
        return bytes(samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        for j, v in enumerate(samples[i:i + per_byte]):
            byte |= v << (8 - bit_depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, previous, bpp):
    """Applies PNG filter `kind` (0 none, 1 sub, 2 up, 3 average, 4 paeth) to one row of bytes."""
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = previous[i] if previous else 0
        c = previous[i - bpp] if previous and i >= bpp else 0
        predictor = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - predictor) & 0xFF)
    return bytes(out)


def encode_scanlines(pixels, bit_depth, channels, filters):
    """pixels: rows of pixel tuples. Each row is filtered with the next filter of `filters` in turn."""
    bpp = max(1, channels * bit_depth // 8)
    out, previous = bytearray(), None
    for y, row in enumerate(pixels):
        raw = pack_row([s for pixel in row for s in pixel], bit_depth)
        out += filter_row(filters[y % len(filters)], raw, previous, bpp)
        previous = raw
    return bytes(out)


def png_bytes(width, height, bit_depth, colour_type, sample, filters=(0,), interlace=False, palette=None,
              transparency=None, extra_chunks=()):
    """sample(x, y) → the pixel's tuple of samples."""
    channels = CHANNELS[colour_type]
    pixels = [[sample(x, y) for x in range(width)] for y in range(height)]
    if interlace:
        data = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [row[x0::dx] for row in pixels[y0::dy]]
            if sub and sub[0]:
                data += encode_scanlines(sub, bit_depth, channels, filters)
    else:
        data = encode_scanlines(pixels, bit_depth, channels, filters)
    out = b"\x89PNG\r\n\x1a\n"
    out += png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, int(interlace)))
    for kind, payload in extra_chunks:
        out += png_chunk(kind, payload)
    if palette:
        out += png_chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if transparency:
        out += png_chunk(b"tRNS", transparency)
    out += png_chunk(b"IDAT", zlib.compress(data, 9)) + png_chunk(b"IEND", b"")
    return out


def png_seeds():
    w, h = 7, 5
    top = lambda depth: (1 << depth) - 1
    grey = lambda depth: lambda x, y: ((x * 3 + y * 5) % (top(depth) + 1),)
    rgb = lambda depth: lambda x, y: tuple((x * k + y) * 37 % (top(depth) + 1) for k in (1, 2, 3))
    grey_alpha = lambda depth: lambda x, y: (grey(depth)(x, y)[0], top(depth) - x)
    rgba = lambda x, y: rgb(8)(x, y) + (200,)
    palette = [(i * 20 % 256, i * 50 % 256, i * 90 % 256) for i in range(16)]
    index = lambda depth: lambda x, y: ((x + 2 * y) % min(16, top(depth) + 1),)
    all_filters = (0, 1, 2, 3, 4)
    seeds = {f"ok_grey{d}.png": png_bytes(w, h, d, 0, grey(d)) for d in (1, 2, 4, 8, 16)}
    seeds.update({
        "ok_grey8_all_filters.png": png_bytes(w, h, 8, 0, grey(8), filters=all_filters),
        "ok_grey16_all_filters.png": png_bytes(w, h, 16, 0, grey(16), filters=all_filters),
        "ok_grey_alpha8.png": png_bytes(w, h, 8, 4, grey_alpha(8)),
        "ok_grey_alpha16.png": png_bytes(w, h, 16, 4, grey_alpha(16), filters=all_filters),
        "ok_rgb8.png": png_bytes(w, h, 8, 2, rgb(8), filters=all_filters),
        "ok_rgb16.png": png_bytes(w, h, 16, 2, rgb(16)),
        "ok_rgba8.png": png_bytes(w, h, 8, 6, rgba, filters=all_filters),
        "ok_palette1.png": png_bytes(w, h, 1, 3, index(1), palette=palette[:2]),
        "ok_palette4.png": png_bytes(w, h, 4, 3, index(4), palette=palette),
        "ok_palette8_transparency.png": png_bytes(w, h, 8, 3, index(8), palette=palette,
                                                  transparency=bytes(range(0, 160, 10))),
        "ok_grey8_adam7.png": png_bytes(w, h, 8, 0, grey(8), interlace=True, filters=all_filters),
        "ok_grey2_adam7.png": png_bytes(w, h, 2, 0, grey(2), interlace=True),
        "ok_rgb16_adam7.png": png_bytes(w, h, 16, 2, rgb(16), interlace=True),
        "ok_grey8_ancillary_chunks.png": png_bytes(w, h, 8, 0, grey(8), extra_chunks=[
            (b"gAMA", struct.pack(">I", 45455)), (b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
            (b"tEXt", b"Comment\0fuzz seed"), (b"sBIT", b"\x08")]),
    })
    good = seeds["ok_grey8.png"]
    seeds["bad_truncated.png"] = good[:len(good) - 20]
    seeds["bad_crc.png"] = good[:30] + bytes([good[30] ^ 0xFF]) + good[31:]
    seeds["bad_signature.png"] = b"\x89PNX" + good[4:]
    return seeds


def dataset_seeds():
    case = lambda name: {"image": f"./imagesTr/{name}.nii.gz", "label": f"./labelsTr/{name}.nii.gz"}
    labels = {"0": "background", "1": "liver", "2": "kidney", "3": "spleen"}
    full = {
        "name": "seed", "description": "every field diffseg reads",
        "modality": {"0": "T1", "1": "T2"}, "labels": labels,
        "regions": [{"name": "organs", "labels": [1, 2, 3]}, {"name": "liver", "labels": [1]}],
        "preprocessing": {"spacing_xyz": [1.0, 1.0, 2.0], "intensity": {"kind": "ct_window", "window": [-100, 200]}},
        "numTraining": 2,
        "training": [{"image": ["./imagesTr/a_t1.nii.gz", "./imagesTr/a_t2.nii.gz"], "label": "./labelsTr/a.nii.gz"},
                     {"image": ["./imagesTr/b_t1.nii.gz", "./imagesTr/b_t2.nii.gz"], "label": "./labelsTr/b.nii.gz"}],
        "validation": [{"image": ["./imagesTr/c_t1.nii.gz", "./imagesTr/c_t2.nii.gz"], "label": "./labelsTr/c.nii.gz"}],
        "test": ["./imagesTs/d.nii.gz", {"image": "./imagesTs/e.nii.gz", "label": None},
                 {"image": "./imagesTs/f.nii.gz", "label": "./labelsTs/f.nii.gz"}],
    }
    minimal = {"labels": {"0": "background", "1": "muscle"}, "training": [case("a"), case("b")]}
    seeds = {
        "ok_minimal.json": minimal,
        "ok_every_field.json": full,
        "ok_test_only.json": {"labels": {"0": "background", "1": "organ"}, "test": ["./x.png", "./y.png"]},
        "bad_no_labels.json": {"training": [case("a")]},
        "bad_labels_not_from_zero.json": {"labels": {"1": "a", "2": "b"}, "training": [case("a")]},
        "bad_duplicate_case.json": {"labels": labels, "training": [case("a"), case("a")]},
        "bad_training_without_label.json": {"labels": labels, "training": [{"image": "./a.nii.gz"}]},
        "bad_region_outside_classes.json": dict(minimal, regions=[{"name": "r", "labels": [5]}]),
        "bad_modality_keys.json": dict(minimal, modality={"1": "CT"}),
        "bad_no_cases.json": {"labels": labels},
        "bad_top_level_list.json": [minimal],
    }
    out = {name: (json.dumps(doc, indent=1) + "\n").encode() for name, doc in seeds.items()}
    out["bad_syntax.json"] = b'{"labels": {"0": "background", "1": "organ"}, "training": [\n'
    return out


def config_seeds():
    seeds = {f"ok_{p.stem}.yaml": p.read_bytes() for p in sorted((ROOT / "configs").glob("*.yaml"))}
    tiny = (ROOT / "tests" / "apps" / "tiny_2d.yaml").read_bytes()
    seeds["ok_tiny_2d.yaml"] = tiny
    seeds["ok_tiny_2d_with_overrides.yaml"] = (b"--set train.batch_size=2\n--set model.channels=[4, 8]\n"
                                               b"--set train.lr={init: 1.0e-3, peak: 1.0e-2}\n" + tiny)
    seeds["ok_anchors.yaml"] = (b"train:\n  lr: &rate {init: 1.0e-4, peak: 3.0e-3, end: 3.0e-4}\n"
                                b"  batch_size: 2\nloss: {dice: 1.0, cross_entropy: 1.0}\n"
                                b"data:\n  preprocessing: {schedule: *rate}\n")
    seeds["bad_unknown_key.yaml"] = b"modle:\n  channels: [8, 16]\n" + tiny
    seeds["bad_unknown_override.yaml"] = b"--set train.batchsize=2\n" + tiny
    seeds["bad_override_syntax.yaml"] = b"--set =2\n" + tiny
    seeds["bad_yaml_syntax.yaml"] = b"train: {batch_size: [2\n"
    seeds["bad_not_a_mapping.yaml"] = b"- train\n- model\n"
    seeds["bad_empty.yaml"] = b""
    return seeds


def checkpoint_seeds(build):
    program = build / "fuzz" / "write_checkpoint_seed"
    subprocess.run(["cmake", "--build", str(build), "--target", "write_checkpoint_seed"], check=True,
                   stdout=subprocess.DEVNULL)
    target = build / "fuzz" / "checkpoint_seed.pt"
    subprocess.run([str(program), str(target)], check=True)
    good = target.read_bytes()
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10  # caught by the checkpoint's checksum before LibTorch reads it
    return {"ok_tiny.pt": good, "bad_truncated.pt": good[:4096], "bad_not_a_zip.pt": b"PK\x03\x04 no",
            "bad_flipped_byte.pt": bytes(flipped)}


def write(target, seeds):
    folder = FUZZ / "corpus" / target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, data in sorted(seeds.items()):
        (folder / name).write_bytes(data)
    print(f"fuzz/corpus/{target}/: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=pathlib.Path, default=ROOT / "build",
                        help="a configured build folder (for write_checkpoint_seed); default: build/")
    args = parser.parse_args()
    nifti = nifti_seeds()
    write("nifti", nifti)
    write("nifti_gz", nifti_gz_seeds(nifti))
    write("png", png_seeds())
    write("dataset", dataset_seeds())
    write("config", config_seeds())
    write("checkpoint", checkpoint_seeds(args.build.resolve()))


if __name__ == "__main__":
    main()
