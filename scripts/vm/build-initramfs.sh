#!/usr/bin/env bash
# Builds a tiny initramfs that boots Debian's 6.1 kernel with ip_vs loaded, for the IPVS VM test.
# The kernel package is downloaded and unpacked into a work folder, never installed. The result is
# cached per package versions: prints the folder that holds vmlinuz and initrd.img.
# Usage: build-initramfs.sh [WORKDIR]   (default: /tmp/keepalivedctl-vm, kept across clones)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/keepalivedctl-vm}"
mkdir -p "$work"
log() { echo "build-initramfs: $*" >&2; }

# The newest generic (not cloud, not rt) 6.1 kernel image the package lists offer.
kpkg="$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | awk '{print $1}' | sort -V | tail -n1)"
if [ -z "$kpkg" ]; then
  log "apt-cache knows no linux-image-6.1.0-*-amd64 (run apt-get update)"; exit 1
fi
kver="$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2}')"
bbver="$(apt-cache policy busybox-static | awk '/Candidate:/ {print $2}')"
key="$(echo "$kpkg-$kver-busybox-$bbver-$(sha256sum "$here/init.sh" | cut -c1-12)" | tr ':~+' '___')"
out="$work/image-$key"
if [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  echo "$out"; exit 0
fi
log "building $out"
tmp="$work/build-$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"
# The unpacked packages are cached on their own, so a change of init.sh only reassembles the cpio.
kcache="$work/$(echo "kernel-$kpkg-$kver" | tr ':~+' '___')"
bcache="$work/$(echo "busybox-$bbver" | tr ':~+' '___')"
if [ ! -d "$kcache" ] || [ ! -d "$bcache" ]; then
  mkdir -p "$tmp/debs"
  # apt-get download writes into the current folder; _apt may not read root's folders, which only warns.
  (cd "$tmp/debs" && apt-get download "$kpkg" busybox-static >&2)
  if [ ! -d "$kcache" ]; then
    mkdir -p "$kcache.part"
    dpkg-deb --fsys-tarfile "$tmp"/debs/linux-image-*.deb | tar -x -C "$kcache.part" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/*'
    rm -rf "$kcache"; mv "$kcache.part" "$kcache"
  fi
  if [ ! -d "$bcache" ]; then
    mkdir -p "$bcache.part"
    dpkg-deb --fsys-tarfile "$tmp"/debs/busybox-static_*.deb | tar -x -C "$bcache.part" ./bin/busybox
    rm -rf "$bcache"; mv "$bcache.part" "$bcache"
  fi
fi
kdir="$(ls -d "$kcache"/lib/modules/* | head -n1)"

# Module name -> file. Names compare with '-' and '_' alike, as modprobe does.
declare -A path
while IFS= read -r f; do
  n="$(basename "$f" .ko)"; path["${n//-/_}"]="$f"
done < <(find "$kdir" -name '*.ko')
declare -A done_
order=()
# Soft dependencies the depends= line does not carry (libcrc32c needs a crc32c implementation).
declare -A soft=([libcrc32c]=crc32c_generic)
resolve() {
  local m="${1//-/_}" d
  [ -n "${done_[$m]:-}" ] && return 0
  done_[$m]=1
  if [ -z "${path[$m]:-}" ]; then log "module $m not in the package (built in?)"; return 0; fi
  [ -n "${soft[$m]:-}" ] && resolve "${soft[$m]}"
  for d in $(tr '\0' '\n' < "${path[$m]}" | sed -n 's/^depends=//p' | tr ',' ' '); do resolve "$d"; done
  order+=("$m")
}
for m in virtio_pci 9pnet_virtio 9p nf_conntrack ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_sh ip_vs_mh \
  ip_vs_sed ip_vs_nq ip_vs_lblc ip_vs_dh ip_vs_fo ip_vs_ovf veth bridge macvlan; do
  resolve "$m"
done
mkdir -p "$tmp/root/lib/modules" "$tmp/root/bin"
: > "$tmp/root/modules.order"
for m in "${order[@]}"; do
  cp "${path[$m]}" "$tmp/root/lib/modules/$m.ko"
  echo "$m" >> "$tmp/root/modules.order"
done
cp "$bcache/bin/busybox" "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
cp "$here/init.sh" "$tmp/root/init"
chmod +x "$tmp/root/init"
mkdir -p "$out.part"
cp "$(ls "$kcache"/boot/vmlinuz-* | head -n1)" "$out.part/vmlinuz"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.part/initrd.img"
printf '%s\n' "$kpkg $kver" "busybox-static $bbver" "${order[@]}" > "$out.part/manifest.txt"
rm -rf "$out"
mv "$out.part" "$out"
log "modules: ${order[*]}"
echo "$out"
