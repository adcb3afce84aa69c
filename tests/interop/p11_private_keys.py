"""Checks `pkcs11-tool --list-objects` output: every private key is usable only for signing, is
sensitive and can never be extracted. Keys generated in the token must also be "always sensitive"
and "never extractable" (CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE); imported keys cannot be
(PKCS#11 sets both false for them), so `--imported` only requires them to be not extractable now.

Usage: p11_private_keys.py OBJECTS.txt [--imported]   (exit 1 with the offending block)
"""
import re
import sys


def main() -> None:
    text = open(sys.argv[1]).read()
    imported = "--imported" in sys.argv[2:]
    blocks = [b for b in re.split(r"\n(?=Private Key Object)", text) if b.startswith("Private Key Object")]
    assert blocks, "no private keys listed"
    for b in blocks:
        usage = re.search(r"Usage:\s*(.*)", b).group(1).strip()
        access = re.search(r"Access:\s*(.*)", b).group(1)
        assert usage == "sign", (usage, b)
        required = ("sensitive",) if imported else ("sensitive", "always sensitive", "never extractable")
        for word in required:
            assert word in access, (word, b)
        assert "extractable" not in access.replace("never extractable", ""), b
    kind = "imported" if imported else "generated"
    print(len(blocks), f"private keys ({kind}): usage sign, sensitive, not extractable")


if __name__ == "__main__":
    main()
