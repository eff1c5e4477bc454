#!/usr/bin/env bash
# Installs Debian's tesseract (English) and poppler-utils (pdftoppm) so that PDF pages without a text layer are
# read by OCR (qa/ocr.py), once. Without them such a PDF is listed as "scanned: install OCR to read it".
set -euo pipefail
if command -v tesseract >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 \
        && tesseract --list-langs 2>/dev/null | grep -qx eng; then
    echo "OCR already installed: $(tesseract --version 2>&1 | head -n 1), $(command -v pdftoppm)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "install-ocr.sh: run as root (or with sudo) to apt-get install tesseract-ocr" >&2; exit 1
    fi
fi
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    tesseract-ocr tesseract-ocr-eng poppler-utils >/dev/null
tesseract --version 2>&1 | head -n 1
command -v pdftoppm
