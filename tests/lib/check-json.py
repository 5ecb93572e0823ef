#!/usr/bin/python3
"""check-json.py SCHEMA FILE... - each FILE is one JSON document valid against SCHEMA.

Prints each violation (path in the document, what is wrong) and exits 1 if
there is any; exits 2 when the validator itself is missing (Debian's
python3-jsonschema), so a missing tool is never taken for valid output.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("check-json: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    bad = 0
    for path in sys.argv[2:]:
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError as e:
            print("%s: not JSON: %s" % (path, e), file=sys.stderr)
            bad += 1
            continue
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in err.absolute_path) or "(top)"
            msg = err.message
            if len(msg) > 200:  # the message quotes the whole instance: say the rule instead
                msg = "fails %s %s" % (err.validator, json.dumps(err.validator_value)[:120])
            print("%s: %s: %s" % (path, where, msg), file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
