#!/usr/bin/env python3
"""Loader for the capybara census."""

import json


def read_file(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


class CapybaraCensus:
    def count_wetland(self, region):
        return region.get("capybaras", 0)
