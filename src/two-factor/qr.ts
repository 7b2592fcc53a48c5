import QRCode from 'qrcode';

/**
 * The `otpauth://` URI as a PNG `data:` URI for an `<img>` (spec 60 §4): no request leaves the page and the
 * Content-Security-Policy needs `img-src data:` only. Error correction M suits a screen.
 */
export function qrCodeDataUri(text: string): Promise<string> {
  return QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 240, type: 'image/png' });
}
