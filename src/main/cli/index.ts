import { createSilentLogger } from '../logging';
createSilentLogger().info('x');
console.log('cli');
