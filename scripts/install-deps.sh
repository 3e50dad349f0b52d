#!/usr/bin/env bash
# Install the Debian packages healthhub needs to build, test, benchmark and
# fuzz, and only those that are missing, so a second run installs nothing.
# As root apt-get runs directly (a minimal Debian has no sudo); as a normal
# user it runs through `sudo -n`, and where that would prompt we print the
# command for the user to run and exit 2.
set -euo pipefail

PACKAGES=(
  make gcc git binutils
  postgresql-15 postgresql-server-dev-15 postgresql-contrib postgresql-client-15
  libicu-dev libssl-dev libcbor-dev zlib1g-dev pkg-config
  libipc-run-perl perl
  clang libclang-rt-14-dev
  util-linux procps
  nodejs
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# npm installs the test tools (t/013's FHIR schema validator): Debian's
# nodejs comes without it, other builds of nodejs bring their own
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "healthhub: installing missing packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "healthhub: these packages are missing and installing them needs root:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "healthhub: packages installed"
