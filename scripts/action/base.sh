# The ref to compare with: the base-ref input, else the pull request's base
# branch as fetched from origin. Sourced by lint.sh and diff.sh.
base="${INPUT_BASE_REF:-}"
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
    base="origin/$GITHUB_BASE_REF"
fi
if [ -n "$base" ] && ! git -C "${GITHUB_WORKSPACE:-.}" rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "::error::firedrill: $base is not in the checkout; check out with fetch-depth: 0"
    exit 2
fi
