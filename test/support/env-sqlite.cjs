process.env.TG_TEST_DB = 'sqlite';
