"""Posts the diff as the pull request's firedrill comment, or updates the
one an earlier push posted (found by its marker), with GitHub's REST API."""

import json
import os
import sys
import urllib.request

MARKER = "<!-- firedrill diff -->"


def api(method, url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def main():
    diff = os.environ.get("INPUT_DIFF", "")
    if os.environ.get("INPUT_COMMENT", "true") != "true" or not diff:
        print("firedrill: no comment to post")
        return 0
    event_path = os.environ.get("GITHUB_EVENT_PATH", "")
    event = json.load(open(event_path)) if event_path else {}
    number = (event.get("pull_request") or {}).get("number")
    if number is None:
        print("firedrill: not a pull request: no comment")
        return 0
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        print("::warning::firedrill: no github-token: the diff is in the job summary only")
        return 0
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    repo = os.environ["GITHUB_REPOSITORY"]
    body = MARKER + "\n" + open(diff, encoding="utf-8").read()
    comments = api("GET", f"{base}/repos/{repo}/issues/{number}/comments?per_page=100", token)
    ours = [c for c in comments or [] if MARKER in (c.get("body") or "")]
    if ours:
        api("PATCH", f"{base}/repos/{repo}/issues/comments/{ours[0]['id']}", token, {"body": body})
        print(f"firedrill: updated comment {ours[0]['id']}")
    else:
        api("POST", f"{base}/repos/{repo}/issues/{number}/comments", token, {"body": body})
        print("firedrill: posted the diff")
    return 0


if __name__ == "__main__":
    sys.exit(main())
