#!/usr/bin/env python3
"""Hold `aipm report --html` of tests/fixtures/recordings/aipm-views to what
the page must be: one file that refers to nothing outside itself, with the
headline, the energy table, the plots, phases, logged metrics, model and
machine, and text from the recording escaped.

    check_html.py FILE.html

A reference outside the page is any URL with a scheme or a host (http:,
https:, file:, //host, ...), any src=, an href= that is not a #fragment of
the page, CSS url() that is not #fragment or data:, @import, and any
element that loads something (script, link, img, iframe, object, embed,
video, audio, source, base, meta refresh). Prints one line per check;
exits 1 on the first failure.
"""
import html.parser
import re
import sys

LOADERS = {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source", "base", "frame",
           "track", "picture", "image", "use", "feimage"}


def fail(what):
    print("not ok -", what)
    sys.exit(1)


def ok(what):
    print("ok -", what)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.loaders, self.ids, self.text, self.styles = [], [], set(), [], []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in LOADERS:
            self.loaders.append(tag)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            self.loaders.append("meta refresh")
        if "id" in a:
            self.ids.add(a["id"])
        for k, v in attrs:
            v = v or ""
            if k in ("src", "srcset", "data", "poster", "action", "formaction", "background", "ping", "xlink:href",
                     "href", "style") or k.startswith("on"):
                self.refs.append((tag, k, v))
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        self.in_style = False

    def handle_data(self, data):
        (self.styles if self.in_style else self.text).append(data)


def main():
    raw = open(sys.argv[1], encoding="utf-8").read()
    p = Page()
    p.feed(raw)
    if p.loaders:
        fail("elements that load something: %s" % sorted(set(p.loaders)))
    for tag, k, v in p.refs:
        if k == "href" and v.startswith("#") and v[1:] in p.ids:
            continue
        if k == "style" and all(u.startswith(("#", "data:")) for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", v)):
            continue
        fail("<%s %s=%r>: the page refers to something outside itself (or to no section of it)" % (tag, k, v))
    css = "".join(p.styles)
    for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css):
        if not (u.startswith("#") or u.startswith("data:")):
            fail("CSS url(%s) outside the page" % u)
    if "@import" in css:
        fail("CSS @import")
    m = re.search(r"[a-zA-Z][a-zA-Z0-9+.-]*://|\b(?:https?|ftp|file):", raw)
    if m:
        fail("a URL in the page: %r" % raw[max(0, m.start() - 40):m.end() + 40])
    ok("the page refers to nothing outside itself (%d bytes, %d internal links)" %
       (len(raw), sum(1 for t, k, v in p.refs if k == "href")))
    if not raw.startswith("<!DOCTYPE html>") or '<meta name="viewport"' not in raw or "@media print" not in css:
        fail("not an HTML5 page with a viewport and print styles")
    ok("HTML5, a viewport for phones, print styles")
    text = re.sub(r"\s+", " ", " ".join(p.text))
    for want in ("hand-made: psys, package, core, uncore, DRAM, two NVIDIA GPUs, phases",
                 "energy of the run", "2269.0 J", "the experiment's share", "1002.0 J", "44.2 % of the run",
                 "mean power", "252.1 W", "duration", "9.0 s",
                 "psys (holds the packages)", "package 0", "core 0", "uncore 0", "DRAM 0",
                 "GPU 0 (NVIDIA A100-SXM4-40GB)", "GPU 1 (NVIDIA T4)",
                 "Power over time", "Memory and use", "Phases", "By name", "train", "eval",
                 "Logged metrics", "epoch 1, loss 0.82", "epoch 2, loss 0.41",
                 "Model", "25557032", "4089184256",
                 "Machine", "fixture-host", "RAPL zones", "package 0 (inside psys)", "core 0 (inside package 0)",
                 "amdsmi", "cannot load libamd_smi.so", "to get it: install amd-smi-lib",
                 "python train.py --epochs 2"):
        if want not in text:
            fail("no %r in the page's text" % want)
    ok("headline, energy table, plots, phases, logged metrics, model, machine and sources")
    if raw.count("<svg") != 2 or 'class="series"' not in raw:
        fail("%d inline SVG plots, want 2 with named series" % raw.count("<svg"))
    ok("two inline SVG plots")
    if "no temperature sensors <b>found</b>" in raw or "&lt;b&gt;found&lt;/b&gt;" not in raw:
        fail("a source's reason was not escaped")
    ok("text from the recording is escaped")


if __name__ == "__main__":
    main()
