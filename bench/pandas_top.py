"""The pandas approach users take today, as the benchmark's baseline.

Per file: df = df.append(pd.read_csv(f, compression='gzip', header=None, sep=' ', names=[...]))
then group by destination and sum bytes. The files carry AWS's header line, which a user skips
(skiprows=1), and '-' marks missing values (na_values='-'). Prints one JSON line.
"""
import json
import sys
import time
import warnings

import pandas as pd

NAMES = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
         "protocol", "packets", "bytes", "start", "end", "action", "log-status"]


def main(files, dst):
    warnings.simplefilter("ignore", FutureWarning)  # frame.append is what such notebooks use
    t0 = time.perf_counter()
    df = pd.DataFrame()
    for f in files:
        part = pd.read_csv(f, compression="gzip", header=None, skiprows=1, sep=" ", names=NAMES,
                           na_values="-")
        if hasattr(df, "append"):
            df = df.append(part)  # pandas < 2, as in the notebooks users copy
        else:
            df = pd.concat([df, part])
    t1 = time.perf_counter()
    top = df.groupby("dstaddr")["bytes"].sum().sort_values(ascending=False).head(10)
    t2 = time.perf_counter()
    senders = df[df["dstaddr"] == dst].groupby("srcaddr")["bytes"].sum().sort_values(ascending=False).head(10)
    t3 = time.perf_counter()
    print(json.dumps({
        "rows": len(df), "load_s": t1 - t0, "top_destinations_s": t2 - t1, "top_sources_s": t3 - t2,
        "top_destinations": [[k, int(v)] for k, v in top.items()],
        "top_sources": [[k, int(v)] for k, v in senders.items()],
    }))


if __name__ == "__main__":
    main(sys.argv[2:], sys.argv[1])
