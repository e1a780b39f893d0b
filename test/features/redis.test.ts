import { featureSuite } from './suite.js';

featureSuite('redis');
