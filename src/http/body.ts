/**
 * The 64 KiB request-body limit (SPEC §3), enforced before any parsing: a declared
 * Content-Length over the limit is refused at once, and a body without one (chunked)
 * is read up to the limit and refused as soon as it passes it.
 */
import { errorResponse } from "./errorResponse";

export const MAX_BODY_BYTES = 64 * 1024;

export function limitBody(req: Request): Request | Response | Promise<Request | Response> {
  // Synchronous when nothing must be read (no body, or a declared length): no promise
  // and microtask per request on the hot path.
  if (!req.body) return req;
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    return Number(declared) > MAX_BODY_BYTES ? errorResponse("payload_too_large", "request body over 64 KiB") : req;
  }
  return readLimited(req, req.body);
}

async function readLimited(req: Request, body: ReadableStream<Uint8Array>): Promise<Request | Response> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      return errorResponse("payload_too_large", "request body over 64 KiB");
    }
    chunks.push(value);
  }
  return new Request(req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
}
