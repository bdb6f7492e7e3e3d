import { describe, expect, test } from "bun:test";
import { escapeHtml, html, raw } from "../../src/ui/html";

describe("html tagged template", () => {
  test("escapes every interpolation by default", () => {
    const evil = `<script>alert("x")</script>&'\``;
    expect(html`<p>${evil}</p>`.value).toBe("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>");
  });

  test("attribute values cannot break out of quotes", () => {
    const v = `" onmouseover="x`;
    expect(html`<a title="${v}">`.value).toBe(`<a title="&quot; onmouseover=&quot;x">`);
  });

  test("nested html and arrays are not double-escaped; items still escaped", () => {
    const items = ["<b>", "c&d"].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe("<ul><li>&lt;b&gt;</li><li>c&amp;d</li></ul>");
  });

  test("null, undefined and false render as nothing; numbers and true as text", () => {
    expect(html`${null}${undefined}${false}|${0}|${true}`.value).toBe("|0|true");
  });

  test("raw() passes trusted markup through unchanged", () => {
    expect(html`<div>${raw("<svg></svg>")}</div>`.value).toBe("<div><svg></svg></div>");
  });

  test("escapeHtml leaves plain text alone", () => {
    expect(escapeHtml("plain text 123")).toBe("plain text 123");
  });
});
