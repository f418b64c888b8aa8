#!/usr/bin/env bash
# Installs the Debian packages the tests need, if any is missing. Idempotent and quiet when
# everything is there. Needs root (as on the project's machines) or sudo.
set -euo pipefail

packages=(
  ca-certificates # TLS to the package registries
  git
  make
  openssl # x509 keypair tests, x509 keypair generation in the gateway
  openssh-client # ssh-keygen: keys for the openstack CLI e2e test
  python3-openstackclient # the `openstack` CLI the gateway e2e test drives
  # The libvirt node agent's e2e tests: a real libvirtd + QEMU (software emulation) booting a tiny
  # guest built from Debian's kernel and busybox; xorriso writes config drives.
  libvirt-clients
  libvirt-daemon
  libvirt-daemon-driver-qemu
  libvirt-daemon-system # the libvirt-qemu user and /etc/libvirt/qemu.conf the QEMU driver needs
  qemu-system-x86
  qemu-utils
  linux-image-amd64
  busybox-static
  xorriso
  cpio
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
