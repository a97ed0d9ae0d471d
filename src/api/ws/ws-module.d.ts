/**
 * The part of the `ws` package (a dependency of @fastify/websocket, version 8) that orderlake and
 * its tests use. `@types/ws` is not installed; without these declarations the socket handed to the
 * feed route and the test client would be untyped. Delete this file if `@types/ws` is added.
 */
declare module 'ws' {
  import { EventEmitter } from 'node:events';
  import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

  type WebSocketAlias = WebSocket;

  class WebSocket extends EventEmitter {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;
    constructor(address: string | URL, options?: WebSocket.ClientOptions);
    readonly CONNECTING: 0;
    readonly OPEN: 1;
    readonly CLOSING: 2;
    readonly CLOSED: 3;
    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes queued for sending but not yet handed to the kernel. */
    readonly bufferedAmount: number;
    readonly isPaused: boolean;
    readonly protocol: string;
    readonly url: string;
    send(data: string | Buffer, cb?: (err?: Error) => void): void;
    send(data: string | Buffer, options: { binary?: boolean; compress?: boolean; fin?: boolean }, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string | Buffer): void;
    terminate(): void;
    ping(data?: string | Buffer, mask?: boolean, cb?: (err: Error) => void): void;
    pong(data?: string | Buffer, mask?: boolean, cb?: (err: Error) => void): void;
    /** Stops reading from the socket: the peer's writes back up (a slow consumer). */
    pause(): void;
    resume(): void;

    on(event: 'message', listener: (this: WebSocket, data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close', listener: (this: WebSocket, code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (this: WebSocket, err: Error) => void): this;
    on(event: 'open', listener: (this: WebSocket) => void): this;
    on(event: 'ping' | 'pong', listener: (this: WebSocket, data: Buffer) => void): this;
    on(event: 'unexpected-response', listener: (this: WebSocket, request: ClientRequest, response: IncomingMessage) => void): this;
    on(event: string | symbol, listener: (this: WebSocket, ...args: any[]) => void): this;
    once(event: 'message', listener: (this: WebSocket, data: Buffer, isBinary: boolean) => void): this;
    once(event: 'close', listener: (this: WebSocket, code: number, reason: Buffer) => void): this;
    once(event: 'error', listener: (this: WebSocket, err: Error) => void): this;
    once(event: 'open', listener: (this: WebSocket) => void): this;
    once(event: 'unexpected-response', listener: (this: WebSocket, request: ClientRequest, response: IncomingMessage) => void): this;
    once(event: string | symbol, listener: (this: WebSocket, ...args: any[]) => void): this;
  }

  namespace WebSocket {
    interface ClientOptions {
      headers?: OutgoingHttpHeaders;
      /** Answer pings automatically (default true); false simulates a client that stopped responding. */
      autoPong?: boolean;
      closeTimeout?: number;
      handshakeTimeout?: number;
      maxPayload?: number;
      perMessageDeflate?: boolean;
    }

    interface ServerOptions {
      maxPayload?: number;
      closeTimeout?: number;
      autoPong?: boolean;
      clientTracking?: boolean;
      perMessageDeflate?: boolean;
      noServer?: boolean;
      path?: string;
      skipUTF8Validation?: boolean;
    }

    class Server extends EventEmitter {
      constructor(options?: ServerOptions, callback?: () => void);
      readonly clients: Set<WebSocketAlias>;
      close(cb?: (err?: Error) => void): void;
    }

    const WebSocketServer: typeof Server;
    type WebSocketServer = Server;
    const WebSocket: typeof WebSocketAlias;
    type WebSocket = WebSocketAlias;
  }

  export = WebSocket;
}
