#!/usr/bin/python3
"""diffseg embedded in another project: `cmake --install` the build, configure and build examples/segment_scan
against the installed package with find_package(diffseg), and check that the example segments a scan exactly as
`diffseg infer` does (same labels, same affine).

Usage: test_embedding.py PATH/TO/diffseg BUILD_DIR SOURCE_DIR   (prints 'N passed, N failed')
The example is configured with the LibTorch settings of BUILD_DIR's cache (CMAKE_PREFIX_PATH for a torch wheel,
the CUDA toolkit for a CUDA wheel), as a user building against that diffseg would pass them.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish  # noqa: E402

import nibabel as nib
import numpy as np

BIN, BUILD, SOURCE = sys.argv[1:4]


def cached(name):
    """A value of BUILD's CMakeCache.txt, or None."""
    for line in open(os.path.join(BUILD, "CMakeCache.txt")):
        if line.startswith(name + ":"):
            return line.split("=", 1)[1].strip()
    return None


def sh(*cmd, timeout=900):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


with tempfile.TemporaryDirectory() as tmp:
    prefix = os.path.join(tmp, "prefix")
    rc, out = sh("cmake", "--install", BUILD, "--prefix", prefix)
    check("cmake --install writes the package", rc == 0 and os.path.exists(
        os.path.join(prefix, "lib", "cmake", "diffseg", "diffsegConfig.cmake")), out)
    check("the public headers are installed",
          os.path.exists(os.path.join(prefix, "include", "diffseg", "eval", "inference.h")), out)

    example = os.path.join(tmp, "example")
    args = ["cmake", "-S", os.path.join(SOURCE, "examples", "segment_scan"), "-B", example, "-G", "Ninja",
            "-DCMAKE_BUILD_TYPE=Release"]
    torch_prefix = cached("CMAKE_PREFIX_PATH")  # a torch wheel: its CMake prefix, also for its Caffe2 config
    args.append("-DCMAKE_PREFIX_PATH=" + ";".join(filter(None, [prefix, torch_prefix])))
    for name in ("CMAKE_CUDA_COMPILER", "CUDA_TOOLKIT_ROOT_DIR", "TORCH_CUDA_ARCH_LIST"):
        if cached(name):
            args.append(f"-D{name}={cached(name)}")
    system_fmt = os.path.join(BUILD, "system-fmt")
    if os.path.isdir(system_fmt):  # a torch wheel: its fmt must not shadow the system's (docs/gpu.md)
        args.append(f"-DCMAKE_CXX_FLAGS=-I{system_fmt}")
    rc, out = sh(*args)
    check("find_package(diffseg) configures the example project", rc == 0, out)
    rc, out = sh("cmake", "--build", example, "-j", "2")
    program = os.path.join(example, "segment_scan")
    check("the example builds and links against the installed libraries", rc == 0 and os.path.exists(program), out)

    data = os.path.join(tmp, "data")
    subprocess.run([BIN, "-q", "synth", "--out", data, "--dims", "3", "--cases", "6", "--size", "16,16,8"], check=True)
    run = os.path.join(tmp, "run")
    rc, out = sh(BIN, "-q", "--threads", "2", "train", "--config", os.path.join(SOURCE, "tests", "apps", "tiny_3d.yaml"),
                 "--data", data, "--out", run)
    check("a tiny 3D run to embed", rc == 0, out)
    scan = os.path.join(data, "imagesTr", "case_005.nii.gz")
    mine = os.path.join(tmp, "example_labels.nii.gz")
    # LibTorch runs one thread unless told otherwise, as infer --threads 1: the same summation order.
    rc, out = sh(program, run, scan, mine) if os.path.exists(program) else (1, "no program")
    check("the example segments a scan", rc == 0 and os.path.exists(mine), out)
    rc2, out2 = sh(BIN, "-q", "--threads", "1", "infer", "--run", run, "--input", scan, "--output",
                   os.path.join(tmp, "infer"))
    if rc == 0 and rc2 == 0:
        a, b = nib.load(mine), nib.load(os.path.join(tmp, "infer", "case_005.nii.gz"))
        same = a.shape == b.shape and np.allclose(a.affine, b.affine) and np.array_equal(
            np.asarray(a.dataobj), np.asarray(b.dataobj))
    else:
        same = False
    check("its label map equals `diffseg infer`'s (values and affine)", same, out2)

finish()
