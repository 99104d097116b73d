#!/usr/bin/env bash
# Installs everything the demo and the tests need (Debian/Ubuntu packages, a virtualenv); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv rsync file libmagic1 curl socat
  wimtools genisoimage mtools
  apache2 libapache2-mod-wsgi-py3
  tftpd-hpa samba smbclient isc-dhcp-server dnsmasq-base
  qemu-system-x86 qemu-utils pxelinux syslinux-common ovmf grub-efi-amd64-bin ipxe ipxe-qemu
  nasm gnu-efi gcc make binutils
  libhivex-bin python3-hivex libwin-hivex-perl
)

APT_PACKAGES+=(wine64 gcc-mingw-w64-x86-64-win32)
APT_PACKAGES+=(rpm cpio)
APT_PACKAGES+=(grub-pc-bin)
APT_PACKAGES+=(osslsigncode)
APT_PACKAGES+=(ethtool python3-pefile)   # bench/: veth offloads off, the upstream sync baseline's import
PIP_TEST=(pytest regipy tftpy)
COBBLER_DEPS=(Cheetah3 distro dnspython file-magic netaddr pyyaml requests schema)
VENV=${COBBLER_WINPE_VENV:-.venv}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Cobbler's mod_wsgi front runs Debian's Python, so the venv is made from it too (same ABI as mod_wsgi).
if [ ! -x "$VENV/bin/python" ]; then
  /usr/bin/python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_TEST[@]}" "${COBBLER_DEPS[@]}"
# Cobbler's wheel declares mod-wsgi, which cannot build without apxs: it is installed without its deps.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "cobbler==3.3.10"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e . >/dev/null

# bench/: atftpd (RFC 7440 windowsize) is unpacked beside the checkout, never installed: Debian's package
# Conflicts with tftpd-hpa (it would remove it) and would start a service.
ATFTPD=.bench-tools/atftpd
if [ ! -x "$ATFTPD/usr/sbin/atftpd" ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p .bench-tools && rm -rf "$ATFTPD.tmp" && mkdir "$ATFTPD.tmp"
  (cd "$ATFTPD.tmp" && apt-get download -qq atftpd >/dev/null 2>&1 && dpkg-deb -x atftpd_*.deb root) \
    && mv "$ATFTPD.tmp/root" "$ATFTPD" || echo "setup: atftpd not unpacked (bench/ will say so)" >&2
  rm -rf "$ATFTPD.tmp"
fi
echo "setup: ready ($VENV)"
