import { featureSuite } from './suite.js';

featureSuite('sqlite');
