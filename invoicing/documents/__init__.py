"""The invoice's files: the PDF in the 数电票 layout (with its QR code) and the official XML."""
