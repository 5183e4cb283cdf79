import { describe, expect, it } from "vitest";
import { generateSecret, hashSecret, parseSecret } from "../src/lib/token-secret.js";

describe("token secrets", () => {
  it("are 40 characters: prefix, 30 random base62, 6 base62 of CRC32", () => {
    const personal = generateSecret("PERSONAL");
    const organization = generateSecret("ORGANIZATION");
    expect(personal).toMatch(/^gtp_[0-9A-Za-z]{36}$/);
    expect(organization).toMatch(/^gto_[0-9A-Za-z]{36}$/);
    expect(parseSecret(personal)).toBe("PERSONAL");
    expect(parseSecret(organization)).toBe("ORGANIZATION");
  });

  it("check a fixed random part against its known checksum", () => {
    // CRC32("0123456789ABCDEFGHIJKLMNOPQRST") = 0xf0c344af = 4039328943, in 6 base62 digits,
    // most significant first: 4·62⁵ + 25·62⁴ + 22·62³ + 37·62² + 60·62 + 51 → "4PMbyp"
    expect(parseSecret("gtp_0123456789ABCDEFGHIJKLMNOPQRST4PMbyp")).toBe("PERSONAL");
    // CRC32("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz") = 0xeaf2cd15 → "4IlJEz"
    expect(parseSecret("gto_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz4IlJEz")).toBe("ORGANIZATION");
    // the same random parts with any other checksum are refused
    expect(parseSecret("gtp_0123456789ABCDEFGHIJKLMNOPQRST4PMbyq")).toBeNull();
    expect(parseSecret("gtp_0123456789ABCDEFGHIJKLMNOPQRST0004PM")).toBeNull();
    expect(parseSecret("gto_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz4PMbyp")).toBeNull();
  });

  it("are different every time", () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret("PERSONAL")));
    expect(secrets.size).toBe(1000);
  });

  it("refuse a single changed character through the checksum", () => {
    const secret = generateSecret("PERSONAL");
    for (let i = 4; i < secret.length; i++) {
      const replacement = secret[i] === "a" ? "b" : "a";
      const typo = secret.slice(0, i) + replacement + secret.slice(i + 1);
      expect(parseSecret(typo), typo).toBeNull();
    }
  });

  it("refuse other shapes", () => {
    const secret = generateSecret("ORGANIZATION");
    for (const bad of ["", "gto_", secret.slice(0, -1), `${secret}x`, `gtx_${secret.slice(4)}`, secret.replace("_", "-"), ` ${secret}`]) {
      expect(parseSecret(bad), bad).toBeNull();
    }
  });

  it("are stored as sha256 hex", () => {
    expect(hashSecret("gtp_0123456789ABCDEFGHIJKLMNOPQRST")).toBe("817eab2d8575c5c48ca2a0a64928fb58dde1074251957cd425f56f31cadea64a");
    expect(hashSecret("gtp_x")).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret("gtp_x")).not.toBe(hashSecret("gtp_y"));
  });
});
