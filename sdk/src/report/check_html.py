#!/usr/bin/env python3
"""Checks that an HTML file is well-formed enough to trust: every non-void element is closed in
order, nothing is left open, no <script>, no attribute that loads or runs anything.

  check_html.py FILE   exit 0 and print "ok N elements", or exit 1 naming the first problem.
"""
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# SVG elements written self-closing (<rect/>, <line/>) are reported by handle_startendtag.
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "link", "img", "base", "form"}
FORBIDDEN_ATTRS = {"src", "href", "action", "srcset", "xlink:href"}


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.count = 0
        self.problems = []

    def _check(self, tag, attrs):
        self.count += 1
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"forbidden element <{tag}> at line {self.getpos()[0]}")
        for name, _ in attrs:
            if name in FORBIDDEN_ATTRS or name.startswith("on"):
                self.problems.append(f"forbidden attribute {name} on <{tag}>")

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1] if self.stack else None
            self.problems.append(f"</{tag}> at line {self.getpos()[0]} closes {open_tag}")
            return
        self.stack.pop()


def main(path):
    text = open(path, encoding="utf-8").read()
    if not text.startswith("<!DOCTYPE html>"):
        print("no <!DOCTYPE html>")
        return 1
    checker = Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.problems.append(f"left open: {checker.stack}")
    if checker.problems:
        print("\n".join(checker.problems))
        return 1
    print(f"ok {checker.count} elements")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
