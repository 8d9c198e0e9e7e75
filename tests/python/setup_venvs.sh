#!/usr/bin/env bash
# Create the Python venvs that run the real social-auth-core as a login harness.
#
#   tests/python/setup_venvs.sh [DIR] [VERSION...]
#
# DIR defaults to target/nbsso-venvs (relative to the crate root). VERSION is one or more
# social-auth-core versions X.Y.Z (default: the two below). Each venv is
# DIR/sc-<version>. The script is idempotent (a venv with a matching stamp file is left
# alone) and safe to call from several processes at once (flock on DIR/.lock).
#
#   5.2.0  NetBox 4.7.3's pin (OIDC PKCE available, opt-in)
#   4.8.3  NetBox 4.4.9-4.5.2's pin (no OIDC PKCE)
#
# PyJWT[crypto] and requests are resolved by pip from social-auth-core's own requirements.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
crate_root="$(cd "$here/../.." && pwd)"
dir="${1:-$crate_root/target/nbsso-venvs}"
shift || true
versions=("$@")
if [ "${#versions[@]}" -eq 0 ]; then
    versions=(5.2.0 4.8.3)
fi
python="${NBSSO_PYTHON:-python3}"

for v in "${versions[@]}"; do
    if ! [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
        echo "setup_venvs: '$v' is not a social-auth-core version (X.Y.Z)" >&2
        exit 2
    fi
done

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

for v in "${versions[@]}"; do
    venv="$dir/sc-$v"
    stamp="$venv/.nbsso-ready"
    want="social-auth-core==$v PyJWT[crypto] requests"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
        echo "setup_venvs: $venv is ready ($want)"
        continue
    fi
    echo "setup_venvs: creating $venv with $("$python" --version 2>&1)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    echo "setup_venvs: installing $want"
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $want
    echo "setup_venvs: installed in $venv:"
    "$venv/bin/python" -m pip list --disable-pip-version-check --format=freeze |
        grep -i -E '^(social-auth-core|pyjwt|requests|cryptography|oauthlib|defusedxml|python3-openid|requests-oauthlib)==' |
        sed 's/^/    /'
    "$venv/bin/python" -c 'import social_core.backends.open_id_connect, jwt, requests'
    printf '%s' "$want" >"$stamp"
done
