"""Downloading with md5 verification and progress, and safe archive extraction."""

from __future__ import annotations

import hashlib
import os
import sys
import tarfile
import urllib.error
import urllib.request

_CHUNK = 1 << 20


def md5sum(path: str) -> str:
    """Hex md5 digest of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def check_integrity(path: str, md5: str | None = None) -> bool:
    """Whether ``path`` exists and (if ``md5`` is given) has that md5 digest."""
    if not os.path.isfile(path):
        return False
    return md5 is None or md5sum(path) == md5


class _Progress:
    """A tqdm bar when tqdm is installed, else one updating text line on stderr."""

    def __init__(self, total: int | None, desc: str):
        self.total, self.desc, self.done = total, desc, 0
        try:
            from tqdm import tqdm
        except ImportError:
            self.bar = None
        else:
            self.bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, leave=False)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        total = f"/{self.total / 1e6:.1f}" if self.total else ""
        sys.stderr.write(f"\r{self.desc}: {self.done / 1e6:.1f}{total} MB")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            sys.stderr.write("\n")


def download_url(
    url: str,
    folder: str,
    filename: str | None = None,
    md5: str | None = None,
    progress: bool = True,
) -> str:
    """Download ``url`` into ``folder`` unless a verified copy is already there.

    The file is written to a temporary name and moved into place only once complete and
    verified, so an interrupted download never leaves a corrupt file behind.

    Args:
        url: the address to fetch.
        folder: destination folder (created if missing).
        filename: name to save as (default: the URL's last component).
        md5: expected md5 hex digest; a mismatch raises RuntimeError.
        progress: show a progress bar.

    Returns:
        The path of the downloaded file.

    Raises:
        RuntimeError: when the download fails (e.g. offline) or the checksum does not match.
    """
    filename = filename or os.path.basename(url)
    path = os.path.join(folder, filename)
    if check_integrity(path, md5):
        return path
    os.makedirs(folder, exist_ok=True)
    tmp = path + ".part"
    try:
        # urllib.request.urlopen goes through the installed opener (patched in tests)
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            length = response.headers.get("Content-Length") if response.headers else None
            bar = _Progress(int(length) if length else None, filename) if progress else None
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                if bar is not None:
                    bar.update(len(block))
            if bar is not None:
                bar.close()
    except (urllib.error.URLError, OSError, ValueError) as err:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise RuntimeError(
            f"Failed to download {url} ({err}). If you are offline, download the file elsewhere "
            f"and place it in {folder} manually."
        ) from err
    if md5 is not None and md5sum(tmp) != md5:
        os.remove(tmp)
        raise RuntimeError(
            f"Checksum mismatch for {url}: expected md5 {md5}; the download is "
            f"corrupt or the file changed. Place a correct copy in {folder}."
        )
    os.replace(tmp, path)
    return path


def extract_archive(path: str, folder: str) -> None:
    """Extract a .tar / .tar.gz archive into ``folder``, refusing paths that escape it."""
    root = os.path.realpath(folder)
    with tarfile.open(path, "r:*") as tar:
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(root, member.name))
            if os.path.commonpath([root, target]) != root or member.issym() or member.islnk():
                raise RuntimeError(
                    f"extract_archive: refusing unsafe member {member.name!r} in {path}"
                )
        if hasattr(tarfile, "data_filter"):
            tar.extractall(root, filter="data")
        else:
            tar.extractall(root)  # noqa: S202 - every member was checked above
