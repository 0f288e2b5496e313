/** The targeted kill seeds of the storage stop/start and acceptance tests (see kill-campaign.ts). */
import { targetedSeeds } from './kill-campaign.js';

targetedSeeds(['storage-services', 'acceptance']);
