/**
 * The ClientHello reader, specified: real hellos captured at test time from `openssl s_client` and from
 * Bun's own TLS client, and hand-built ones for each rule of RFC 8446 §5.1/§4.1.2, RFC 6066 §3 and
 * RFC 7301 §3.1, each fed whole, byte by byte and split at every index.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { CH_MALFORMED, CH_NEED_MORE, CH_NOT_TLS, CH_OK, CH_TOO_LARGE, ClientHelloReader } from "../../../src/edge/client-hello.ts";
import { bunClientHello, opensslClientHello } from "../../helpers/sni-peers.ts";
import { concat } from "./harness.ts";
import {
  alpnExtension,
  byteByByte,
  extension,
  feedHello,
  hello,
  helloMessage,
  records,
  sniExtension,
  splitAt,
  whole,
} from "./hello-harness.ts";

/** Every way of cutting `input` the suite uses: whole, byte by byte, and at every single index. */
function everyCut(input: Uint8Array): number[][] {
  const cuts = [whole(input), byteByByte(input)];
  for (let i = 1; i < input.byteLength; i++) cuts.push(splitAt(input, i));
  return cuts;
}

function expectEveryCut(
  input: Uint8Array,
  expected: { status: number; serverName?: string | null; alpn?: string[]; length?: number },
  maxBytes?: number,
): void {
  for (const cuts of everyCut(input)) {
    const out = feedHello(input, cuts, maxBytes);
    if (out.status !== expected.status)
      throw new Error(`cut at ${cuts.length > 3 ? "every byte" : cuts.join(",")}: status ${out.status}, expected ${expected.status}`);
    if (expected.serverName !== undefined) expect(out.serverName).toBe(expected.serverName);
    if (expected.alpn !== undefined) expect(out.alpn).toEqual(expected.alpn);
    if (expected.length !== undefined) expect(out.length).toBe(expected.length);
  }
}

describe("real ClientHellos", () => {
  const captured: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    captured.openssl = await opensslClientHello("a.example.com", ["h2", "http/1.1"]);
    captured.opensslTls12 = await opensslClientHello("Old.Example.COM", [], ["-tls1_2"]);
    captured.opensslNoSni = await opensslClientHello(null);
    captured.bun = await bunClientHello("b.example.com");
    captured.bunAlpn = await bunClientHello("c.example.com", ["h2"]);
  }, 30_000);

  test("openssl s_client -servername a.example.com -alpn h2,http/1.1: the name and both protocols, cut anywhere", () => {
    const h = captured.openssl!;
    expectEveryCut(h, { status: CH_OK, serverName: "a.example.com", alpn: ["h2", "http/1.1"], length: h.byteLength });
  });

  test("openssl s_client -tls1_2 with a mixed-case name: the name lower-cased", () => {
    const h = captured.opensslTls12!;
    expectEveryCut(h, { status: CH_OK, serverName: "old.example.com", alpn: [], length: h.byteLength });
  });

  test("openssl s_client -noservername: a hello without SNI is complete, with no name", () => {
    expectEveryCut(captured.opensslNoSni!, { status: CH_OK, serverName: null });
  });

  test("Bun.connect({ tls: { serverName } }): the name Bun's client sends, with and without ALPN", () => {
    expectEveryCut(captured.bun!, { status: CH_OK, serverName: "b.example.com", length: captured.bun!.byteLength });
    expectEveryCut(captured.bunAlpn!, { status: CH_OK, serverName: "c.example.com", alpn: ["h2"] });
  });

  test("every proper prefix of a real hello asks for more: it is never answered early", () => {
    const h = captured.openssl!;
    for (let n = 0; n < h.byteLength; n++) expect(feedHello(h, [0, n]).status).toBe(CH_NEED_MORE);
  });

  test("a real hello cut into records of 1, 2, 3 and 100 bytes is still read (the handshake header cut across records)", () => {
    const h = captured.openssl!;
    const message = h.subarray(5);
    for (const size of [1, 2, 3, 100]) {
      const split = records(message, size);
      const out = feedHello(split, whole(split));
      expect({ size, status: out.status, name: out.serverName, length: out.length }).toEqual({
        size,
        status: CH_OK,
        name: "a.example.com",
        length: split.byteLength,
      });
    }
    const tiny = records(message, 3);
    expectEveryCut(tiny, { status: CH_OK, serverName: "a.example.com" });
  });

  test("held() is the bytes fed so far, byte-exact, when the hello came in pieces", () => {
    const h = captured.bun!;
    const out = feedHello(h, byteByByte(h));
    expect(out.status).toBe(CH_OK);
    expect(Buffer.from(out.held!).equals(Buffer.from(h))).toBe(true);
    expect(feedHello(h, whole(h)).held).toBeNull(); // whole in one chunk: nothing copied
  });

  test("a maxBytes below the hello's size refuses it as too large", () => {
    const h = captured.openssl!;
    expectEveryCut(h, { status: CH_TOO_LARGE }, h.byteLength - 1);
    expectEveryCut(h, { status: CH_OK }, h.byteLength);
  });
});

describe("what follows the hello", () => {
  test("bytes after the hello's last record are not read: length marks where the hello ends", () => {
    const h = hello("x.example.com", ["h2"]);
    const stream = concat(h, [23, 3, 3, 0, 2, 9, 9]);
    for (let i = h.byteLength; i <= stream.byteLength; i++) expect(feedHello(stream, [0, i]).length).toBe(h.byteLength);
    expectEveryCut(stream, { status: CH_OK, serverName: "x.example.com", alpn: ["h2"], length: h.byteLength });
  });

  test("the answer sticks: feeding after OK or a failure changes nothing", () => {
    const r = new ClientHelloReader(16384);
    expect(r.feed(hello("a.b"))).toBe(CH_OK);
    expect(r.feed(Uint8Array.from([1, 2, 3]))).toBe(CH_OK);
    const bad = new ClientHelloReader(16384);
    expect(bad.feed(Uint8Array.from([0x47]))).toBe(CH_NOT_TLS);
    expect(bad.feed(hello("a.b"))).toBe(CH_NOT_TLS);
  });

  test("an empty chunk is no answer", () => {
    expect(new ClientHelloReader(16384).feed(new Uint8Array(0))).toBe(CH_NEED_MORE);
  });
});

describe("names", () => {
  test("a trailing dot is dropped and upper case lowered", () => {
    expect(feedHello(hello("WWW.Example.Com."), [0, 100_000]).serverName).toBe("www.example.com");
  });

  test("a name with a byte outside letters, digits, '-', '_' and '.' is malformed", () => {
    for (const bad of ["a b.com", "a\0b", "ex\xe9.com", "a/b", ""]) expect(feedHello(hello(bad), [0, 100_000]).status).toBe(CH_MALFORMED);
  });

  test("a 255-byte name is read, a 256-byte one is malformed", () => {
    const label = "a".repeat(63);
    const n255 = `${label}.${label}.${label}.${"b".repeat(63)}`;
    expect(n255.length).toBe(255);
    expect(feedHello(hello(n255), [0, 100_000]).serverName).toBe(n255);
    expect(feedHello(hello(`${n255}c`), [0, 100_000]).status).toBe(CH_MALFORMED);
  });

  test("an unknown name_type is skipped; the host_name beside it is read", () => {
    const list = concat(
      [9, 0, 3, 1, 2, 3],
      [0, 0, 5],
      Uint8Array.from("a.com", (c) => c.charCodeAt(0)),
    );
    const ext = extension(0, concat([list.byteLength >> 8, list.byteLength & 0xff], list));
    expect(feedHello(records(helloMessage([ext])), [0, 100_000]).serverName).toBe("a.com");
  });

  test("a hello without extensions (TLS 1.2 allows it) is complete, with no name and no ALPN", () => {
    expectEveryCut(records(helloMessage(null)), { status: CH_OK, serverName: null, alpn: [] });
  });
});

describe("not TLS", () => {
  const cases: [string, Uint8Array][] = [
    ["an HTTP request", Uint8Array.from("GET / HTTP/1.1\r\n\r\n", (c) => c.charCodeAt(0))],
    ["a PROXY header", Uint8Array.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n", (c) => c.charCodeAt(0))],
    ["an SSLv2-format hello", Uint8Array.from([0x80, 0x2e, 0x01, 0x03, 0x01])],
    ["a handshake record of version 4.x", Uint8Array.from([22, 4, 1, 0, 10])],
    ["a TLS alert first", Uint8Array.from([21, 3, 3, 0, 2, 2, 40])],
  ];
  for (const [what, bytes] of cases) {
    test(`${what}: refused at its first bytes, cut anywhere`, () => {
      expectEveryCut(bytes, { status: CH_NOT_TLS });
      expect(new ClientHelloReader(16384).feed(bytes.subarray(0, 2))).toBe(CH_NOT_TLS);
    });
  }
  test("one byte 22 alone is not yet an answer", () => {
    expect(new ClientHelloReader(16384).feed(Uint8Array.from([22]))).toBe(CH_NEED_MORE);
  });
});

describe("malformed", () => {
  const good = helloMessage([sniExtension("a.com"), alpnExtension("h2")]);
  const withByte = (b: Uint8Array, at: number, v: number): Uint8Array => {
    const c = Uint8Array.from(b);
    c[at] = v;
    return c;
  };
  const cases: [string, Uint8Array][] = [
    ["a first handshake message that is not a ClientHello", records(withByte(good, 0, 2))],
    ["an empty record", concat([22, 3, 1, 0, 0], records(good))],
    ["a record over 2^14 bytes", Uint8Array.from([22, 3, 1, 0x40, 0x01])],
    ["an alert between the hello's records", concat(records(good, 10).subarray(0, 15), [21, 3, 3, 0, 2, 2, 40])],
    ["a second record of version 2.x", concat(records(good, 10).subarray(0, 15), [22, 2, 0, 0, 1])],
    ["a legacy_version that is not 3.x", records(withByte(good, 4, 2))],
    ["a session id over 32 bytes", records(withByte(good, 4 + 34, 33))],
    ["an odd cipher suite list", records(helloMessage([sniExtension("a.com")], { suites: 3 }))],
    ["no cipher suites", records(helloMessage([sniExtension("a.com")], { suites: 0 }))],
    ["two server_name extensions", records(helloMessage([sniExtension("a.com"), sniExtension("b.com")]))],
    ["two host_name entries", records(helloMessage([sniExtension("a.com", "b.com")]))],
    ["two ALPN extensions", records(helloMessage([alpnExtension("h2"), alpnExtension("h2")]))],
    ["an empty server_name list", records(helloMessage([extension(0, [0, 0])]))],
    ["a server_name list longer than its extension", records(helloMessage([extension(0, [0, 9, 0, 0, 1, 0x61])]))],
    ["an empty ALPN protocol name", records(helloMessage([extension(16, [0, 2, 0, 0x61])]))],
    ["an ALPN list of one byte", records(helloMessage([extension(16, [0, 1, 1])]))],
    [
      "an extension that runs past the hello",
      records(concat(good.subarray(0, good.byteLength - 1), [])).map((b, i) => (i === 8 ? b - 1 : b)),
    ],
  ];
  for (const [what, bytes] of cases) {
    test(`${what}: malformed, cut anywhere`, () => {
      expectEveryCut(bytes, { status: CH_MALFORMED });
    });
  }
  test("extensions whose length disagrees with the hello's", () => {
    const m = Uint8Array.from(good);
    const extLenAt = 4 + 2 + 32 + 1 + 32 + 2 + 4 + 2;
    m[extLenAt + 1] = m[extLenAt + 1]! - 1;
    expectEveryCut(records(m), { status: CH_MALFORMED });
  });
  test("every truncation of the hello message, its lengths kept, is malformed: nothing reads past the message", () => {
    const noExtensions = 4 + 2 + 32 + 1 + 32 + 2 + 4 + 2; // cut right after the compression methods: a valid hello without extensions
    for (let cut = 4; cut < good.byteLength; cut++) {
      if (cut === noExtensions) continue;
      const short = concat([1, 0, (cut - 4) >> 8, (cut - 4) & 0xff], good.subarray(4, cut));
      const out = feedHello(records(short), [0, 100_000]);
      expect({ cut, status: out.status }).toEqual({ cut, status: CH_MALFORMED });
    }
  });
});

describe("too large", () => {
  test("a hello that announces more than maxBytes is refused at its first bytes, before the rest arrives", () => {
    const big = records(helloMessage([sniExtension("a.com")], { padTo: 20_000 }));
    const r = new ClientHelloReader(16384);
    expect(r.feed(big.subarray(0, 9))).toBe(CH_TOO_LARGE);
    expectEveryCut(big.subarray(0, 64), { status: CH_TOO_LARGE });
  });

  test("a record that ends past maxBytes is refused at its header", () => {
    const small = new ClientHelloReader(1000);
    expect(small.feed(Uint8Array.from([22, 3, 1, 0x04, 0x00]))).toBe(CH_TOO_LARGE);
  });

  test("a hello up to maxBytes in all is read; many small records count their headers too", () => {
    const m = helloMessage([sniExtension("a.com")], { padTo: 3000 });
    const one = records(m);
    expect(feedHello(one, whole(one), one.byteLength).status).toBe(CH_OK);
    const many = records(m, 100);
    expect(feedHello(many, byteByByte(many), one.byteLength).status).toBe(CH_TOO_LARGE);
    expect(feedHello(many, byteByByte(many), many.byteLength).status).toBe(CH_OK);
  });

  test("a hello trickled byte by byte holds at most maxBytes + 1 bytes", () => {
    const r = new ClientHelloReader(4096);
    const m = records(helloMessage([sniExtension("a.com")], { padTo: 8000 }), 1);
    let status: number = CH_NEED_MORE;
    for (let i = 0; i < m.byteLength && status === CH_NEED_MORE; i++) status = r.feed(m.subarray(i, i + 1));
    expect(status).toBe(CH_TOO_LARGE);
    expect(r.held()!.byteLength).toBeLessThanOrEqual(4097);
  });
});

describe("held bytes for forwarding", () => {
  test("a deciding chunk that runs far past maxBytes is held whole: nothing the client sent is lost", () => {
    const h = hello("a.example.com");
    const after = new Uint8Array(5000).fill(0x5a);
    const stream = concat(h, after);
    for (const first of [1, 10, h.byteLength - 1]) {
      const r = new ClientHelloReader(512);
      expect(r.feed(stream.subarray(0, first))).toBe(CH_NEED_MORE);
      expect(r.feed(stream.subarray(first))).toBe(CH_OK);
      expect(Buffer.from(r.held()!).equals(Buffer.from(stream))).toBe(true);
    }
    const plain = new ClientHelloReader(512);
    const text = new Uint8Array(3000).fill(0x41);
    expect(plain.feed(Uint8Array.from([22]))).toBe(CH_NEED_MORE);
    expect(plain.feed(text)).toBe(CH_NOT_TLS);
    expect(Buffer.from(plain.held()!).equals(Buffer.from(concat([22], text)))).toBe(true);
  });
});
