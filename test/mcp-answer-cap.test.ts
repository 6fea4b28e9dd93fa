// An MCP server is outside Arbiter: one that streams an endless or huge answer is cut off at the
// cap, and the call fails, instead of the answer being read whole into the worker's memory.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpToolClient, type McpServerRef } from '../activities/tools';

const CAP = 1024 * 1024;
let server: http.Server;
let sentBytes = 0;
let url: string;

beforeAll(async () => {
  // Answers every request with one JSON-RPC message padded past the cap, written in 64 KB chunks.
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.write('{"jsonrpc":"2.0","id":0,"result":{"padding":"');
      let written = 0;
      const pump = () => {
        while (written < 4 * CAP) {
          written += chunk.length;
          sentBytes += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}}');
      };
      res.on('error', () => undefined);
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const huge: McpServerRef = { name: 'huge', url: 'env:HUGE_MCP_URL', allow: ['anything'] };

test("refuses an MCP server's answer past the cap instead of reading it whole", async () => {
  const client = createMcpToolClient({ env: { HUGE_MCP_URL: url }, maxAnswerBytes: CAP, requestTimeoutMs: 5_000 });
  await expect(client.listTools(huge)).rejects.toThrow(/passed 1048576 bytes|cut off/);
  // The server was not read to its end: it wrote at most a little past the cap before the worker stopped reading.
  expect(sentBytes).toBeLessThan(4 * CAP);
});
