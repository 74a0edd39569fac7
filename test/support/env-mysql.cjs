process.env.TG_TEST_DB = 'mysql';
if (!process.env.TG_TEST_MYSQL_URL) throw new Error('TG_TEST_MYSQL_URL is not set: the MySQL project needs its global setup (run `npm test`)');
