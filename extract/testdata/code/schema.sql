CREATE TABLE wombat_burrows (
    id SERIAL PRIMARY KEY,
    depth_cm INTEGER NOT NULL -- measured at entrance
);
SELECT count(*) FROM wombat_burrows WHERE depth_cm > 100;
