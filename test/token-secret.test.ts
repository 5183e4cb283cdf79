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
    expect(hashSecret("gtp_x")).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSecret("gtp_x")).not.toBe(hashSecret("gtp_y"));
  });
});
