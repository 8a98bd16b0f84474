#!/usr/bin/env bash
# Downloads, where apt works, the .deb files of the Debian packages diffseg's build needs beyond a compiler, CMake
# and Ninja — with the libraries they depend on — into a folder (vendor/debs, gitignored) that travels with the
# working tree to a machine without a package registry; scripts/gpu_check.sh installs them there with dpkg -i.
#   pack_build_deps.sh [FOLDER]      Prints the folder's total size (the copy to the GPU machine allows 64 MiB).
# The files are for this machine's release and architecture (Debian 12, amd64): the target must match.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-vendor/debs}
# Keep in step with build_deps in gpu_check.sh. libgmock-dev: Debian's GTest CMake targets name its files.
roots=(libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libnifti2-dev libpng-dev zlib1g-dev
       libgtest-dev libgmock-dev libgloo-dev libjs-d3)
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$@" | grep -v '^ ' | grep -v '^<' | sort -u
}
# Their dependency closure less what any Debian machine that compiles C++ has: the closure of build-essential and
# of the Essential packages (libc6, libstdc++6, libselinux1, ...; virtual packages, shown as <name>, are dropped).
mapfile -t essential < <(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}')
mapfile -t pkgs < <(comm -23 <(closure "${roots[@]}") <(closure build-essential "${essential[@]}"))
mkdir -p "$dest"
(cd "$dest" && apt-get download "${pkgs[@]}" >/dev/null)
echo "pack_build_deps: ${#pkgs[@]} packages in $dest: ${pkgs[*]}"
du -cb "$dest"/*.deb | tail -1 | awk '{printf "pack_build_deps: total %.1f MiB\n", $1 / 1048576}'
