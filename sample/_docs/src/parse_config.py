"""Configuration tooling for the telemetry rig."""

import json


def parseConfig(path):
    """Read the rig configuration and return the sensor channels."""
    with open(path) as f:
        cfg = json.load(f)
    return [c["name"] for c in cfg.get("channels", [])]


def read_file(path):
    """Return the raw bytes of a calibration file."""
    with open(path, "rb") as f:
        return f.read()
