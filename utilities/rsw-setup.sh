# SPDX-License-Identifier: Apache-2.0
# Shared set-up steps for utilities/run-tests and utilities/quickstart:
# Debian packages, hugepages, build.  Sourced, not executed.

RSW_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

rsw_die() { echo "error: $*" >&2; exit 1; }
rsw_info() { echo "==> $*"; }

# Re-run the calling script as root: hugepages, KVM and DPDK need it.
rsw_need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || rsw_die "must run as root (no sudo found): run it as root"
        exec sudo -E "$@"
    fi
}

# Installs whichever of the given Debian packages are missing.
rsw_install_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    rsw_info "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || rsw_die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        rsw_die "apt-get install ${missing[*]} failed"
}

RSW_BUILD_PACKAGES=(build-essential cmake pkg-config libdpdk-dev dpdk libnuma-dev
                    libpcap-dev libjson-c-dev libcmocka-dev)
# QEMU Linux guests for the switch tests (utilities/rsw-guest-image builds
# their busybox initramfs; the kernel is downloaded, not installed).
RSW_GUEST_PACKAGES=(qemu-system-x86 busybox-static cpio xz-utils)
RSW_TEST_PACKAGES=(dpdk procps iproute2 python3 tshark tcpdump "${RSW_GUEST_PACKAGES[@]}")

# Ensures at least $1 2 MiB hugepages and a hugetlbfs mount at /dev/hugepages.
rsw_prepare_hugepages() {
    local want=${1:-512} have
    have=$(cat /proc/sys/vm/nr_hugepages)
    if [ "$have" -lt "$want" ]; then
        echo "$want" > /proc/sys/vm/nr_hugepages ||
            rsw_die "cannot reserve hugepages: echo $want > /proc/sys/vm/nr_hugepages (as root)"
        have=$(cat /proc/sys/vm/nr_hugepages)
        [ "$have" -ge "$want" ] ||
            rsw_die "only $have of $want hugepages could be reserved (memory fragmented?)"
    fi
    mkdir -p /dev/hugepages
    mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages ||
        rsw_die "cannot mount hugetlbfs on /dev/hugepages"
}

# Configures and builds into $1 with extra cmake arguments.
rsw_build() {
    local dir=$1; shift
    cmake -S "$RSW_TOP" -B "$dir" "$@" >/dev/null || rsw_die "cmake configure failed ($dir)"
    cmake --build "$dir" -j"$(nproc)" >/dev/null || {
        cmake --build "$dir" -j1 2>&1 | tail -40
        rsw_die "build failed ($dir)"
    }
}
