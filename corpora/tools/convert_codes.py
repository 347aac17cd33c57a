#!/usr/bin/env python3
"""Convert the public code tables in ../shared/corpora-src into the TSV tables duijie embeds.

Run from the repository root:  python3 corpora/tools/convert_codes.py ../shared/corpora-src
Outputs (UTF-8, tab-separated, with a header line):
  corpora/codes/regions.tsv       code(6 digits)  name  parent(6 digits or empty)  level(province|city|county)
  corpora/codes/industries.tsv    code  name  parent  level(section|division|group|class)  section
  corpora/codes/universities.tsv  name  province  city  level
"""
import csv, json, sys, os

src = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora-src"
out = "corpora/codes"
os.makedirs(out, exist_ok=True)

def pad(code):
    return code + "0" * (6 - len(code))

rows = []
prov_names = {}
with open(f"{src}/admin-divisions/provinces.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        prov_names[r["code"]] = r["name"]
        rows.append((pad(r["code"]), r["name"], "", "province"))
# Hong Kong, Macao and Taiwan are province-level units outside the NBS list.
for code, name in (("71", "台湾省"), ("81", "香港特别行政区"), ("82", "澳门特别行政区")):
    prov_names[code] = name
    rows.append((pad(code), name, "", "province"))
with open(f"{src}/admin-divisions/cities.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        name = r["name"]
        if name == "市辖区":  # NBS placeholder for municipalities: name it after the municipality
            name = prov_names[r["provinceCode"]]
        rows.append((pad(r["code"]), name, pad(r["provinceCode"]), "city"))
with open(f"{src}/admin-divisions/areas.csv", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        rows.append((r["code"], r["name"], pad(r["cityCode"]), "county"))
seen = set()
with open(f"{out}/regions.tsv", "w", encoding="utf-8") as f:
    f.write("code\tname\tparent\tlevel\n")
    for row in rows:
        if row[0] in seen:
            continue
        seen.add(row[0])
        f.write("\t".join(row) + "\n")

levels = {"0": "section", "1": "division", "2": "group", "3": "class"}
with open(f"{src}/gbt4754-2017/gbt4754_2017.tsv", encoding="utf-8") as f, \
     open(f"{out}/industries.tsv", "w", encoding="utf-8") as g:
    g.write("code\tname\tparent\tlevel\tsection\n")
    for r in csv.DictReader(f, delimiter="\t"):
        g.write("\t".join((r["code"], r["name"], r["parent_code"], levels[r["level"]], r["section"])) + "\n")

# A few names in the upstream file are broken across two lines: join them back.
with open(f"{src}/universities-moe2017/moe_universities_2017.tsv", encoding="utf-8") as f:
    lines = f.read().split("\n")[1:]
records, pending = [], ""
for line in lines:
    pending += line
    if pending.count("\t") >= 6:
        records.append(pending.split("\t"))
        pending = ""
with open(f"{out}/universities.tsv", "w", encoding="utf-8") as g:
    g.write("name\tprovince\tcity\tlevel\n")
    for r in records:
        g.write("\t".join((r[1], r[2], r[3], r[5])) + "\n")
