// Reads a request body up to a byte cap, shared by the loopback servers (webhook listener, UI).
// Past the cap it stops reading at once, so the rest of the body is never buffered.
import type { IncomingMessage } from 'node:http';

export function readBody(
  req: IncomingMessage,
  limit: number,
  tooLarge: () => Error,
  aborted: () => Error = () => new Error('request aborted'),
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(aborted()));
  });
}
