"""Time writing 1,000 PXE BCD stores (three entries each) and print the figure; run on demand, not a test."""
import sys
import time

from cobbler_winpe.bcd.pxe import build_pxe_store
from cobbler_winpe.regf.reader import check_hive

COUNT = 1000


def main(count=COUNT):
    entries = [("Windows PE %d" % i, r"\images\win10-x64-%d\boot.wim" % i) for i in range(3)]
    start = time.perf_counter()
    for index in range(count):
        data = build_pxe_store("uefi" if index % 2 else "bios", r"\images\boot.sdi", entries,
                               tftp_blocksize=1456, tftp_windowsize=4, timestamp=index)
    elapsed = time.perf_counter() - start
    check_start = time.perf_counter()
    for _ in range(count):
        check_hive(data)
    checked = time.perf_counter() - check_start
    print("wrote %d BCD stores (%d bytes each) in %.2f s: %.2f ms per store; checked them in %.2f ms each"
          % (count, len(data), elapsed, 1000 * elapsed / count, 1000 * checked / count))
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else COUNT))
