"""Writes test/fixtures/features/transactions.csv: deterministic account transactions
(user_id, ts as ISO-8601 UTC, balance) for the feature service's Materialize tests.
Plain Python 3, no packages: /usr/bin/python3 tools/make_feature_fixtures.py"""
import datetime
import random

random.seed(6)
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
rows = []
for u in range(1, 9):
    n = random.randint(15, 40)
    for _ in range(n):
        t = start + datetime.timedelta(seconds=random.randint(0, 90 * 24 * 3600))
        bal = round(random.uniform(-200, 5000), 2)
        rows.append((f"u{u}", t, bal))
# u9 has one early transaction only: its 30-day window is empty later on.
rows.append(("u9", start + datetime.timedelta(days=5), 100.0))
rows.sort(key=lambda r: (r[1], r[0]))
with open('test/fixtures/features/transactions.csv', 'w') as f:
    f.write('user_id,ts,balance\n')
    for u, t, b in rows:
        f.write(f"{u},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{b}\n")
print(f"{len(rows)} rows")
