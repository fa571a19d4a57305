#!/usr/bin/env bash
# Installs every Debian (bookworm) package Tessera needs to build, test and run.
# Idempotent: packages already present are left alone; safe to run again.
# Usage: cmake/install-deps.sh   (as root, or with sudo available)
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # OpenCL: ICD loader, C and C++ headers, platforms (PoCL for CPUs, Oclgrind simulator), clinfo
  ocl-icd-opencl-dev opencl-c-headers opencl-clhpp-headers pocl-opencl-icd oclgrind clinfo
  # libraries
  libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev libxxhash-dev libpng-dev
  # tessera worker / submit: the Redis client library
  libhiredis-dev
  # tests
  doctest-dev
  # the worker's tests: a Redis broker and a real Celery client; the benchmark's Celery-side
  # worker runs its kernel through PyOpenCL
  redis-server python3-celery python3-redis python3-pyopencl
  # the timeline test: xmllint checks the SVG, rsvg-convert renders it
  libxml2-utils librsvg2-bin
  # sanitizer runtimes for the clang presets and fuzzers
  clang libclang-rt-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
