#!/usr/bin/python3
"""Parity fixtures for the preprocess service (outputs committed under test/fixtures/preprocess/).

Builds a tabular dataset from scikit-learn's bundled diabetes data (442 patients, raw units):
numeric columns age, bmi, bp, s1..s6; categorical columns derived from it — sex (female/male
from the coded 1/2), age_group (the decade of age), region (drawn at random, skewed, so that
some labels are rare), and two year columns for a derived difference. Values are removed at
random (seeded) from sex, bmi, bp, s5 and region. Split 80/20 (seeded) into train.csv and
test.csv; three test rows get a region never seen in training ("atlantis").

Then fits two pipelines and records what the reference implementation computes:
- sklearn.json: spec_sklearn.yaml's steps done with scikit-learn itself (SimpleImputer,
  OneHotEncoder with min_frequency/max_categories/handle_unknown, StandardScaler,
  MinMaxScaler, RobustScaler, PowerTransformer): fitted parameters, feature names and the
  transformed train and test sets.
- engine.json: spec_engine.yaml's feature-engine-style steps (rare labels, ordinal, log,
  log1p, outlier caps, derived column, drop/select) written out with numpy, as a second,
  independent implementation of the semantics documented in docs/preprocess.md.

- codes.json: spec_codes.yaml on codes_train.csv / codes_test.csv, integer codes derived from
  the same patients (rooms = s1 // 25, visits = bp // 10 - 8, level = int(2 * s4)) as int64
  columns, as pandas reads them: OneHotEncoder and OrdinalEncoder order them numerically
  (rooms_2 before rooms_10), which is what the pipeline must match. A few test rows get codes
  never seen in training.

Run with Debian's python (scikit-learn 1.2 from python3-sklearn):
    /usr/bin/python3 tools/make_preprocess_fixtures.py
"""
import csv
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, PowerTransformer, RobustScaler, StandardScaler

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'preprocess')
rng = np.random.default_rng(7)

d = load_diabetes(scaled=False)
X = d.data
n = X.shape[0]
cols = {name: X[:, i].astype(float) for i, name in enumerate(d.feature_names)}
numeric = ['age', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']
table = {c: list(cols[c]) for c in numeric}
table['sex'] = ['female' if v == 1 else 'male' for v in cols['sex']]
table['age_group'] = [f'{int(a) // 10 * 10}s' for a in cols['age']]
regions = ['north', 'south', 'east', 'west', 'island', 'fjord']
table['region'] = list(rng.choice(regions, size=n, p=[0.45, 0.3, 0.15, 0.06, 0.03, 0.01]))
age_offset = rng.integers(0, 2, size=n)
table['birth_year'] = [float(2000 - int(a) - int(o)) for a, o in zip(cols['age'], age_offset)]
table['visit_year'] = [float(v) for v in 2000 + rng.integers(0, 4, size=n)]
ORDER = ['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'age_group', 'region', 'birth_year', 'visit_year']

for c, frac in [('sex', 0.06), ('bmi', 0.08), ('bp', 0.08), ('s5', 0.06), ('region', 0.05)]:
    for i in np.flatnonzero(rng.random(n) < frac):
        table[c][i] = None

perm = rng.permutation(n)
n_train = int(n * 0.8)
train_idx, test_idx = np.sort(perm[:n_train]), np.sort(perm[n_train:])
test_unknown = [i for i in test_idx if table['region'][i] is not None][:3]
for i in test_unknown:
    table['region'][i] = 'atlantis'


def fmt(v):
    if v is None:
        return ''
    if isinstance(v, float):
        return repr(int(v)) if v == int(v) else repr(v)
    return str(v)


def write_csv(path, idx):
    with open(path, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(ORDER)
        for i in idx:
            w.writerow([fmt(table[c][i]) for c in ORDER])


def num(idx, c):
    return np.array([np.nan if table[c][i] is None else float(table[c][i]) for i in idx])


def obj(idx, c):
    return np.array([np.nan if table[c][i] is None else table[c][i] for i in idx], dtype=object)


def fl(a):
    return [float(x) for x in np.ravel(a)]


def sklearn_pipeline():
    """spec_sklearn.yaml, step by step with scikit-learn; columns kept in the pipeline's order."""
    params = {}

    def run(idx, fit):
        cur = {c: (num(idx, c) if c in numeric else obj(idx, c)) for c in ORDER if c not in ('birth_year', 'visit_year')}
        order = list(cur)

        def imputer(key, columns, **kw):
            if fit:
                params[key] = SimpleImputer(**kw).fit(np.column_stack([cur[c] for c in columns]))
            imp = params[key]
            out = imp.transform(np.column_stack([cur[c] for c in columns]))
            n_in = len(columns)
            for j, c in enumerate(columns):
                cur[c] = out[:, j] if c in numeric else out[:, j].astype(object)
            if kw.get('add_indicator'):
                for j, f in enumerate(imp.indicator_.features_):
                    name = f'missingindicator_{columns[f]}'
                    cur[name] = out[:, n_in + j].astype(float)
                    order.append(name)

        imputer('impute_mean', ['bmi', 'bp'], strategy='mean', add_indicator=True)
        imputer('impute_median', ['s5'], strategy='median')
        imputer('impute_most_frequent', ['sex'], strategy='most_frequent', missing_values=np.nan)
        imputer('impute_constant', ['region'], strategy='constant', fill_value='unknown', missing_values=np.nan)

        def one_hot(key, column, **kw):
            if fit:
                params[key] = OneHotEncoder(sparse_output=False, **kw).fit(cur[column].reshape(-1, 1).astype(str))
            enc = params[key]
            out = enc.transform(cur[column].reshape(-1, 1).astype(str))
            names = [str(x) for x in enc.get_feature_names_out([column])]
            pos = order.index(column)
            del cur[column]
            order[pos:pos + 1] = names
            for j, name in enumerate(names):
                cur[name] = out[:, j]

        one_hot('one_hot_region', 'region', min_frequency=20, handle_unknown='infrequent_if_exist')
        one_hot('one_hot_sex', 'sex', handle_unknown='error')
        one_hot('one_hot_age_group', 'age_group', min_frequency=0.05, max_categories=5, handle_unknown='ignore')

        def scaler(key, columns, make):
            if fit:
                params[key] = make().fit(np.column_stack([cur[c] for c in columns]))
            out = params[key].transform(np.column_stack([cur[c] for c in columns]))
            for j, c in enumerate(columns):
                cur[c] = out[:, j]

        scaler('standard', ['age', 'bmi', 'bp'], StandardScaler)
        scaler('min_max', ['s1', 's2'], lambda: MinMaxScaler(feature_range=(-1, 1)))
        scaler('robust', ['s3', 's4', 's5'], RobustScaler)
        scaler('power', ['s6'], lambda: PowerTransformer(method='yeo-johnson', standardize=True))
        return order, np.column_stack([cur[c] for c in order])

    names, train = run(train_idx, True)
    names_test, test = run(test_idx, False)
    assert names == names_test
    p = params
    fitted = {
        'impute_mean': {'statistics': fl(p['impute_mean'].statistics_), 'indicator_features': [['bmi', 'bp'][f] for f in p['impute_mean'].indicator_.features_]},
        'impute_median': {'statistics': fl(p['impute_median'].statistics_)},
        'impute_most_frequent': {'statistics': [str(x) for x in p['impute_most_frequent'].statistics_]},
        'impute_constant': {'statistics': [str(x) for x in p['impute_constant'].statistics_]},
    }
    for key in ['one_hot_region', 'one_hot_sex', 'one_hot_age_group']:
        enc = p[key]
        inf = enc.infrequent_categories_[0] if enc._infrequent_enabled else None
        fitted[key] = {'categories': [str(x) for x in enc.categories_[0]], 'infrequent': [] if inf is None else [str(x) for x in inf]}
    fitted['standard'] = {'mean_': fl(p['standard'].mean_), 'var_': fl(p['standard'].var_), 'scale_': fl(p['standard'].scale_)}
    fitted['min_max'] = {'data_min_': fl(p['min_max'].data_min_), 'data_max_': fl(p['min_max'].data_max_), 'scale_': fl(p['min_max'].scale_), 'min_': fl(p['min_max'].min_)}
    fitted['robust'] = {'center_': fl(p['robust'].center_), 'scale_': fl(p['robust'].scale_)}
    fitted['power'] = {'lambdas_': fl(p['power'].lambdas_), 'mean_': fl(p['power']._scaler.mean_), 'scale_': fl(p['power']._scaler.scale_)}
    return {'feature_names': names, 'fitted': fitted, 'train': [fl(r) for r in train], 'test': [fl(r) for r in test]}


def engine_pipeline():
    """spec_engine.yaml written out with numpy (feature-engine's semantics as documented)."""
    state = {}

    def run(idx, fit):
        cur = {c: (num(idx, c) if c in numeric + ['birth_year', 'visit_year'] else obj(idx, c)) for c in ORDER}
        del cur['s1'], cur['s2']
        for c in ['bmi', 'bp', 's5']:
            if fit:
                state[f'median_{c}'] = float(np.nanmedian(cur[c]))
            cur[c] = np.where(np.isnan(cur[c]), state[f'median_{c}'], cur[c])
        for c in ['region', 'sex']:
            if fit:
                vals, counts = np.unique([v for v in cur[c] if isinstance(v, str)], return_counts=True)
                state[f'mode_{c}'] = min(str(v) for v in vals[counts == counts.max()])
            cur[c] = np.array([state[f'mode_{c}'] if not isinstance(v, str) else v for v in cur[c]], dtype=object)
        if fit:  # RareLabelEncoder(tol=0.05, n_categories=3)
            vals, counts = np.unique(cur['region'].astype(str), return_counts=True)
            freq = counts / counts.sum()
            state['kept'] = sorted(str(v) for v in (vals[freq >= 0.05] if len(vals) > 3 else vals))
        cur['region'] = np.array([v if v in state['kept'] else 'Rare' for v in cur['region']], dtype=object)
        for c in ['region', 'age_group']:
            if fit:
                state[f'ord_{c}'] = OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1).fit(cur[c].reshape(-1, 1).astype(str))
            cur[c] = state[f'ord_{c}'].transform(cur[c].reshape(-1, 1).astype(str))[:, 0]
        if fit:
            state['sex_categories'] = sorted(set(cur['sex']))
        for s in state['sex_categories']:
            cur[f'sex_{s}'] = (cur['sex'] == s).astype(float)
        del cur['sex']
        cur['age_at_visit'] = cur['visit_year'] - cur['birth_year']
        cur['s4'] = np.log(cur['s4'])
        cur['s3'] = np.log1p(cur['s3'])
        if fit:
            q1, q3 = np.percentile(cur['bmi'], [25, 75])
            state['bmi_caps'] = [float(q1 - 1.5 * (q3 - q1)), float(q3 + 1.5 * (q3 - q1))]
            state['bp_caps'] = [float(np.quantile(cur['bp'], 0.05)), float(np.quantile(cur['bp'], 0.95))]
        cur['bmi'] = np.clip(cur['bmi'], *state['bmi_caps'])
        cur['bp'] = np.clip(cur['bp'], *state['bp_caps'])
        order = ['age_at_visit', 'age', 'bmi', 'bp', 's3', 's4', 's5', 's6', 'region', 'sex_female', 'sex_male', 'age_group']
        return order, np.column_stack([cur[c] for c in order])

    names, train = run(train_idx, True)
    _, test = run(test_idx, False)
    fitted = {
        'medians': {c: state[f'median_{c}'] for c in ['bmi', 'bp', 's5']},
        'modes': {c: state[f'mode_{c}'] for c in ['region', 'sex']},
        'rare_kept': state['kept'],
        'ordinal_categories': {c: [str(x) for x in state[f'ord_{c}'].categories_[0]] for c in ['region', 'age_group']},
        'bmi_caps': state['bmi_caps'],
        'bp_caps': state['bp_caps'],
    }
    return {'feature_names': names, 'fitted': fitted, 'train': [fl(r) for r in train], 'test': [fl(r) for r in test]}


def codes_pipeline():
    """spec_codes.yaml with scikit-learn on int64 columns (what pandas makes of integer text)."""
    codes = {
        'age': cols['age'].astype(np.int64),
        'rooms': (cols['s1'] // 25).astype(np.int64),
        'visits': (cols['bp'] // 10).astype(np.int64) - 8,
        'level': (cols['s4'] * 2).astype(np.int64),
    }
    test_codes = {c: v[test_idx].copy() for c, v in codes.items()}
    test_codes['rooms'][[0, 5]] = 13   # unseen: the infrequent column
    test_codes['visits'][[1, 6]] = 9   # unseen: all zeros
    test_codes['level'][[2, 7]] = 20   # unseen: unknown_value -1
    train_codes = {c: v[train_idx] for c, v in codes.items()}
    order = ['age', 'rooms', 'visits', 'level']
    for name, data in [('codes_train.csv', train_codes), ('codes_test.csv', test_codes)]:
        with open(os.path.join(OUT, name), 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(order)
            for i in range(len(data['age'])):
                w.writerow([int(data[c][i]) for c in order])
    col = lambda data, c: data[c].reshape(-1, 1)
    rooms = OneHotEncoder(sparse_output=False, min_frequency=10, handle_unknown='infrequent_if_exist').fit(col(train_codes, 'rooms'))
    visits = OneHotEncoder(sparse_output=False, handle_unknown='ignore').fit(col(train_codes, 'visits'))
    level = OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value=-1).fit(col(train_codes, 'level'))
    names = ['age'] + [str(x) for x in rooms.get_feature_names_out(['rooms'])] + [str(x) for x in visits.get_feature_names_out(['visits'])] + ['level']

    def run(data):
        return np.column_stack([data['age'].astype(float), rooms.transform(col(data, 'rooms')), visits.transform(col(data, 'visits')), level.transform(col(data, 'level'))[:, 0]])

    fitted = {
        'rooms': {'categories': [int(x) for x in rooms.categories_[0]], 'infrequent': [int(x) for x in rooms.infrequent_categories_[0]]},
        'visits': {'categories': [int(x) for x in visits.categories_[0]]},
        'level': {'categories': [int(x) for x in level.categories_[0]]},
    }
    return {'feature_names': names, 'fitted': fitted, 'train': [fl(r) for r in run(train_codes)], 'test': [fl(r) for r in run(test_codes)]}


os.makedirs(OUT, exist_ok=True)
write_csv(os.path.join(OUT, 'train.csv'), train_idx)
write_csv(os.path.join(OUT, 'test.csv'), test_idx)
meta = {'sklearn_version': sklearn.__version__, 'numpy_version': np.__version__, 'train_rows': len(train_idx), 'test_rows': len(test_idx), 'seed': 7}
for name, fn in [('sklearn', sklearn_pipeline), ('engine', engine_pipeline), ('codes', codes_pipeline)]:
    result = fn()
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump({**meta, **result}, f, indent=1)
        f.write('\n')
print(f'wrote {OUT}: train {len(train_idx)} rows, test {len(test_idx)} rows (sklearn {sklearn.__version__})')
