#!/usr/bin/python3
"""Raw event data of the credit example (examples/credit/README.md), seeded, numpy only.

Writes, under ``--out`` (default ``examples/credit/data``):

* ``transactions.csv``   user_id, ts (epoch seconds), amount, balance — account movements with
                         the balance after each; ~1% of balances missing (a core-banking export
                         that lost them), overdrafts (negative balances) for riskier users
* ``referrals.ndjson``   one JSON object per line: user_id, ts (ISO 8601), referred_user
* ``app_events.csv``     user_id, ts (ISO 8601), event (login, view_offer, read_faq, contact_support)
* ``applications.csv``   application_id, user_id, ts (ISO 8601): the request-time fields
                         loan_amount, income (monthly, ~4% missing), employment (~3% missing),
                         channel (web, mobile, branch and the rare partner, phone, kiosk), term_months
* ``labels.csv``         application_id, defaulted (0/1), known months after the application

Users become active at a sign-up time and apply once, between 2026-03-15 and 2026-07-01; events
run from 2026-01-01 to 2026-07-01. A latent risk drives balances, overdrafts, referrals and FAQ
reading, and the label is drawn from the features a model sees at the application's time
(computed here with the same windows as the feature definitions), plus a little latent risk: a
model can learn it, not perfectly.

Everything comes from one seed (``--seed``, default 13): a rerun writes byte-identical files.
No network. Run from the repository root: ``/usr/bin/python3 examples/credit/generate.py``.
"""
import argparse
import json
import os
from datetime import datetime, timezone

import numpy as np

DAY = 86_400
T0 = int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp())
T_END = int(datetime(2026, 7, 1, tzinfo=timezone.utc).timestamp())
APPLY_FROM = int(datetime(2026, 3, 15, tzinfo=timezone.utc).timestamp())

EMPLOYMENT = ['salaried', 'self_employed', 'contractor', 'student', 'retired', 'unemployed']
EMPLOYMENT_P = [0.55, 0.20, 0.10, 0.06, 0.06, 0.03]
EMPLOYMENT_RISK = {'salaried': 0.0, 'self_employed': 0.25, 'contractor': 0.3, 'student': 0.4, 'retired': -0.2, 'unemployed': 1.0}
# partner, phone and kiosk are rare: the pipeline folds them into one infrequent category.
CHANNELS = ['web', 'mobile', 'branch', 'partner', 'phone', 'kiosk']
CHANNELS_P = [0.58, 0.30, 0.08, 0.025, 0.012, 0.003]
CHANNEL_RISK = {'web': 0.0, 'mobile': 0.1, 'branch': -0.3, 'partner': 0.8, 'phone': 0.5, 'kiosk': 1.0}
TERMS = [12, 24, 36, 48, 60]
EVENTS = ['login', 'view_offer', 'contact_support']


def iso(t):
    return datetime.fromtimestamp(int(t), tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='examples/credit/data')
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--applicants', type=int, default=3000)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    n = args.applicants
    os.makedirs(args.out, exist_ok=True)

    # Applicant ids like the seeds' "user 2143134": 7 digits, unique, that one included.
    ids = rng.choice(np.arange(2_100_000, 2_200_000), size=n, replace=False)
    if 2_143_134 not in ids:
        ids[0] = 2_143_134
    risk = rng.normal(size=n)
    wealth = -0.4 * risk + np.sqrt(1 - 0.16) * rng.normal(size=n)
    apply_at = rng.integers(APPLY_FROM, T_END, size=n)
    # Most users signed up before the data starts; some only days before applying (thin files).
    late = rng.random(n) < 0.12
    signup = np.where(late, apply_at - rng.integers(2 * DAY, 40 * DAY, size=n), T0 - rng.integers(0, 400 * DAY, size=n))
    signup = np.maximum(signup, T0 - 400 * DAY)

    tx_rows = []
    ev_rows = []
    ref_rows = []
    for i in range(n):
        uid = int(ids[i])
        start = max(int(signup[i]), T0)
        span = T_END - start
        # Transactions: about one every 9 days, more for active users.
        k = rng.poisson(span / DAY / 9 * np.exp(0.3 * rng.normal()))
        ts = np.sort(rng.integers(start, T_END, size=k))
        base = np.exp(7.4 + 0.7 * wealth[i])
        ar = 0.0
        prev = base
        p_overdraft = sigmoid(-2.6 + 1.3 * risk[i])
        for t in ts:
            ar = 0.8 * ar + 0.35 * rng.normal()
            bal = base * (1 + ar)
            if rng.random() < p_overdraft:
                bal = -rng.uniform(20, 900)
            bal = round(float(bal), 2)
            amount = round(bal - prev, 2)
            prev = bal
            missing = rng.random() < 0.01
            tx_rows.append((uid, int(t), amount, None if missing else bal))
        # Referrals: wealthier, less risky users refer more friends.
        k = rng.poisson(np.exp(-0.2 + 0.5 * wealth[i] - 0.4 * risk[i]) * span / (180 * DAY))
        for t in np.sort(rng.integers(start, T_END, size=k)):
            ref_rows.append((uid, int(t), int(rng.integers(3_000_000, 4_000_000))))
        # App events: logins and offers for everyone, the FAQ mostly for careful (less risky) users.
        k = rng.poisson(span / DAY / 30)
        for t in np.sort(rng.integers(start, T_END, size=k)):
            ev_rows.append((uid, int(t), EVENTS[int(rng.choice(3, p=[0.7, 0.22, 0.08]))]))
        if rng.random() < sigmoid(-0.2 - 0.8 * risk[i]):
            for t in rng.integers(start, T_END, size=1 + rng.poisson(1.0)):
                ev_rows.append((uid, int(t), 'read_faq'))

    tx_rows.sort(key=lambda r: (r[1], r[0]))
    ev_rows.sort(key=lambda r: (r[1], r[0]))
    ref_rows.sort(key=lambda r: (r[1], r[0]))

    # Request-time fields of the applications.
    employment = rng.choice(EMPLOYMENT, size=n, p=EMPLOYMENT_P)
    channel = rng.choice(CHANNELS, size=n, p=CHANNELS_P)
    income = np.round(np.exp(7.9 + 0.45 * wealth + 0.25 * rng.normal(size=n)), -1)
    income = np.where(employment == 'student', np.round(income * 0.4, -1), income)
    loan = np.round(np.exp(8.6 + 0.6 * rng.normal(size=n) + 0.25 * risk) / 50) * 50
    loan = np.maximum(loan, 500)
    term = rng.choice(TERMS, size=n)
    income_missing = rng.random(n) < 0.04
    employment_missing = rng.random(n) < 0.03

    # The label, from what the feature definitions give at the application's time.
    tx = np.array([(r[0], r[1], np.nan if r[3] is None else r[3]) for r in tx_rows], dtype=float)
    refs = np.array([(r[0], r[1]) for r in ref_rows], dtype=float).reshape(-1, 2)
    faq = np.array([(r[0], r[1]) for r in ev_rows if r[2] == 'read_faq'], dtype=float).reshape(-1, 2)
    by_user_tx = {}
    for j, u in enumerate(tx[:, 0].astype(int)):
        by_user_tx.setdefault(u, []).append(j)
    logits = np.empty(n)
    for i in range(n):
        uid, t = int(ids[i]), int(apply_at[i])
        rows = tx[by_user_tx.get(uid, [])]
        in30 = rows[(rows[:, 1] > t - 30 * DAY) & (rows[:, 1] <= t)] if len(rows) else rows
        bal30 = in30[:, 2][~np.isnan(in30[:, 2])] if len(in30) else np.array([])
        avg30 = float(np.mean(np.maximum(bal30, 0))) if len(bal30) else 800.0
        in90 = rows[(rows[:, 1] > t - 90 * DAY) & (rows[:, 1] <= t)] if len(rows) else rows
        overdrafts = int(np.sum(in90[:, 2] < 0)) if len(in90) else 0
        n_ref = int(np.sum((refs[:, 0] == uid) & (refs[:, 1] > t - 365 * DAY) & (refs[:, 1] <= t)))
        read = bool(np.any((faq[:, 0] == uid) & (faq[:, 1] > t - 90 * DAY) & (faq[:, 1] <= t)))
        lti = loan[i] / (income[i] * term[i] / 12)
        logits[i] = (-4.0 - 0.9 * (np.log1p(avg30) - 7.3) + 0.45 * min(overdrafts, 4) - 0.35 * min(n_ref, 4)
                     - 0.6 * read + 1.2 * (lti - 0.5) + EMPLOYMENT_RISK[employment[i]] + CHANNEL_RISK[channel[i]]
                     + 0.3 * risk[i])
    defaulted = (rng.random(n) < sigmoid(logits)).astype(int)

    with open(os.path.join(args.out, 'transactions.csv'), 'w', newline='') as f:
        f.write('user_id,ts,amount,balance\n')
        for uid, t, amount, bal in tx_rows:
            f.write(f'{uid},{t},{amount:.2f},{"" if bal is None else f"{bal:.2f}"}\n')
    with open(os.path.join(args.out, 'referrals.ndjson'), 'w', newline='') as f:
        for uid, t, friend in ref_rows:
            f.write(json.dumps({'user_id': str(uid), 'ts': iso(t), 'referred_user': str(friend)}) + '\n')
    with open(os.path.join(args.out, 'app_events.csv'), 'w', newline='') as f:
        f.write('user_id,ts,event\n')
        for uid, t, event in ev_rows:
            f.write(f'{uid},{iso(t)},{event}\n')
    order = np.argsort(apply_at, kind='stable')
    with open(os.path.join(args.out, 'applications.csv'), 'w', newline='') as f:
        f.write('application_id,user_id,ts,loan_amount,income,employment,channel,term_months\n')
        for k, i in enumerate(order):
            inc = '' if income_missing[i] else f'{income[i]:.0f}'
            emp = '' if employment_missing[i] else employment[i]
            f.write(f'A{k + 1:05d},{ids[i]},{iso(apply_at[i])},{loan[i]:.0f},{inc},{emp},{channel[i]},{term[i]}\n')
    with open(os.path.join(args.out, 'labels.csv'), 'w', newline='') as f:
        f.write('application_id,defaulted\n')
        for k, i in enumerate(order):
            f.write(f'A{k + 1:05d},{defaulted[i]}\n')
    print(json.dumps({'applicants': n, 'transactions': len(tx_rows), 'referrals': len(ref_rows), 'app_events': len(ev_rows),
                      'default_rate': round(float(defaulted.mean()), 4), 'out': args.out}))


if __name__ == '__main__':
    main()
