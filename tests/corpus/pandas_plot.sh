# Data analysis: a CSV made here, grouped and summarised with pandas, and a
# PNG plot with matplotlib's Agg backend.
python3 - <<'PY'
import csv, random, struct
random.seed(7)
with open("sales.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["region", "month", "units", "price"])
    for i in range(5000):
        w.writerow([random.choice("NSEW"), 1 + i % 12, random.randint(1, 50), round(random.uniform(1, 9), 2)])
import pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
df = pd.read_csv("sales.csv")
df["revenue"] = df.units * df.price
by = df.groupby("region").agg(units=("units", "sum"), revenue=("revenue", "sum")).round(2)
print(by.to_string())
print(df.pivot_table(index="month", values="units", aggfunc="mean").round(3).head(3).to_string())
ax = by.revenue.plot(kind="bar")
ax.set_title("revenue by region")
plt.savefig("revenue.png", dpi=50)
with open("revenue.png", "rb") as f:
    head = f.read(24)
print("png", head[:8] == b"\x89PNG\r\n\x1a\n", struct.unpack(">II", head[16:24]))
df.describe().round(2).to_csv("summary.csv")
print(open("summary.csv").read().splitlines()[1])
PY
