/**
 * The TOTP enrollment QR code as inline SVG markup rendered on the server: a data:
 * image would be blocked by the CSP (img-src falls back to 'self').
 */
import { raw, type Html } from "./html";

export async function qrSvg(text: string, label: string): Promise<Html> {
  // Loaded on first use: only TOTP enrollment draws a QR code, and the library would
  // otherwise sit in every server's memory from the start.
  const { default: QRCode } = await import("qrcode");
  const svg = await QRCode.toString(text, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  // qrcode emits only <svg>/<path> with geometry attributes; the label is escaped before use.
  const safeLabel = label.replace(/[&<>"']/g, "");
  return raw(svg.replace("<svg ", `<svg role="img" aria-label="${safeLabel}" `));
}
