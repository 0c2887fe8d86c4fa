"""The catalogue of planted mistakes: each a small wrong change to one file of the system,
and the scenarios that must fail because of it.

A claim of the specification counts only when a planted mistake proves it: `make mutate`
applies each mistake in a scratch copy of the project, runs the scenarios named here, and
fails when any mistake lives. To add one: copy an entry, make `find` a snippet that occurs
exactly once in `file`, `replace` the wrong version of it, and name the scenarios
(pytest node ids) that catch it. Write the mistake before you trust the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    name: str
    file: str
    find: str
    replace: str
    # The behaviour the mistake breaks, as a user would state it.
    claim: str
    # pytest node ids; the mistake is killed when at least one of them fails.
    killers: tuple[str, ...] = ()
    # Set for a change no behaviour can tell apart (an equivalent mutant): why it cannot be killed.
    equivalent: str = ""


CH01 = "tests/containers/test_01_images_and_containers.py"
CH02 = "tests/containers/test_02_dockerfile.py"
CH03 = "tests/containers/test_03_port_mapping.py"
CH04 = "tests/containers/test_04_rebuild_and_rerun.py"
CH06 = "tests/containers/test_06_compose_basics.py"
CH07 = "tests/containers/test_07_service_dns.py"
CH08 = "tests/containers/test_08_database.py"
CH09 = "tests/containers/test_09_retry_on_startup.py"
CH10 = "tests/containers/test_10_data_and_volumes.py"
CH11 = "tests/containers/test_11_whole_system.py"
CH20 = "tests/containers/test_20_the_suite_cleans_up.py"
CH12 = "tests/containers/test_12_in_a_browser.py"
CH16 = "tests/containers/test_16_faults_and_load.py"
CH18 = "tests/containers/test_18_swarm.py"
CH21 = "tests/containers/test_21_base_images.py"
UNIT_VIEWS = "tests/unit/test_views.py"
UNIT_CONFIG = "tests/unit/test_config.py"
UNIT_SCRIPTS = "tests/unit/test_scripts.py"
UNIT_ACCESS_LOG = "tests/unit/test_access_log.py"
UNIT_SWARM = "tests/unit/test_swarm_membership.py"
UNIT_DEFAULTS = "tests/unit/test_defaults.py"
UNIT_DOCS = "tests/unit/test_docs_agree_with_the_code.py"
UNIT_SPEC = "tests/unit/test_specification.py"
CH13 = "tests/containers/test_13_defaults.py"
CH22 = "tests/containers/test_22_a_fresh_machine.py"
CH17 = "tests/containers/test_17_the_proxy.py"
CH14 = "tests/containers/test_14_migrations_and_roles.py"
CH15 = "tests/containers/test_15_backup_and_restore.py"
CH05 = "tests/containers/test_05_the_inner_loop.py"
CH19 = "tests/containers/test_19_three_nodes.py"
IMAGE_NAMES_TESTS = "tests/unit/test_image_names.py"
CLUSTER_SPREAD = f"{CH19}::test_three_managers_replicas_on_every_node_and_pages_served_across_the_overlay"
CLUSTER_ROLLING_UPDATE = (
    f"{CH19}::test_a_rolling_update_across_the_nodes_answers_every_request_and_runs_only_the_deployed_image"
)
CLUSTER_LEADER_KILLED = f"{CH19}::test_killing_the_leader_elects_another_and_the_stack_keeps_serving"
CLUSTER_DRAIN = f"{CH19}::test_draining_a_node_moves_its_tasks_to_the_others_with_no_failed_request"
CLUSTER_NODE_KILLED = f"{CH19}::test_the_replicas_of_a_killed_node_are_started_on_the_others"
CLUSTER_DB_NODE_KILLED = f"{CH19}::test_the_database_waits_for_its_node_and_comes_back_there_with_every_visit"
INNER_LOOP = f"{CH05}::test_an_edit_is_served_live_a_syntax_error_is_logged_and_new_requirements_rebuild"
UNIT_CLEANUP = "tests/unit/test_cleanup.py"
UNIT_VERDICTS = "tests/unit/test_verdicts.py"
UNIT_STATE = "tests/unit/test_state_folder.py"
UNIT_STAGES = "tests/unit/test_stages.py"
REHEARSE_BOOKWORM = f"{CH22}::test_on_a_stock_bookworm_make_up_serves_the_page_and_make_test_is_green"
REHEARSE_OLD_ENGINE = f"{CH22}::test_an_engine_older_than_25_that_runs_is_refused_with_what_to_do_and_left_alone"

MISTAKES: tuple[Mistake, ...] = (
    # --- app/migrations/, app/migrate.py, app/privileges.py: the schema and who may change it ---
    Mistake(
        name="migration-without-its-downgrade",
        file="app/migrations/versions/0003_request_id.py",
        find='    op.drop_index("visits_request_id", table_name="visits")\n'
        '    op.drop_column("visits", "request_id")\n',
        replace="    pass\n",
        claim="Each migration has a downgrade that undoes it.",
        killers=(f"{CH14}::test_each_migration_has_a_downgrade_that_undoes_it_and_the_tables_agree_with_the_code",),
    ),
    Mistake(
        name="migrations-and-code-disagree",
        file="app/visits.py",
        find='    Column("visited_at", DateTime(timezone=True), nullable=False, server_default=func.now()),\n',
        replace='    Column("visited_at", DateTime(timezone=True), nullable=True, server_default=func.now()),\n',
        claim="The tables the code queries are the tables the migrations make (`alembic check`).",
        killers=(f"{CH14}::test_each_migration_has_a_downgrade_that_undoes_it_and_the_tables_agree_with_the_code",),
    ),
    Mistake(
        name="webapp-makes-its-own-schema",
        file="app/visits.py",
        find="        with self.engine.connect() as connection:\n            check_at_head(connection)\n",
        replace="        with self.engine.connect() as connection:\n"
        "            metadata.create_all(connection)\n            check_at_head(connection)\n",
        claim="The webapp creates no schema: until the migrations ran it answers 'database not ready'.",
        killers=(
            f"{CH14}::test_until_the_schema_is_at_head_the_webapp_answers_database_not_ready_and_creates_nothing",
        ),
    ),
    Mistake(
        name="readiness-ignores-the-schema",
        file="app/schema.py",
        find="    if at != head():\n",
        replace="    if at is None and at is not None:\n",
        claim="Until the database is at the migrations' head, readiness and the page answer 503 'database not ready'.",
        killers=(
            f"{CH14}::test_until_the_schema_is_at_head_the_webapp_answers_database_not_ready_and_creates_nothing",
        ),
    ),
    Mistake(
        name="migrations-not-serialised",
        file="app/migrate.py",
        find='        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})\n',
        replace="",
        claim="Two migrate runs at once take turns: each step is applied once.",
        killers=(f"{CH14}::test_two_migrations_started_at_once_take_turns_and_apply_each_step_once",),
    ),
    Mistake(
        name="count-function-follows-the-callers-search-path",
        file="app/migrations/versions/0002_visit_counts.py",
        find="LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$",
        replace="LANGUAGE plpgsql SECURITY DEFINER AS $$",
        claim="The counting trigger's function pins its search path: no object planted earlier on a path stands in.",
        killers=(f"{CH14}::test_the_count_is_kept_whatever_the_search_path_and_survives_an_emptied_count_table",),
    ),
    Mistake(
        name="count-divides-by-the-count-table",
        file="app/migrations/versions/0002_visit_counts.py",
        find="      FROM (SELECT id % 16 AS shard, count(*) AS n FROM added GROUP BY 1) d\n",
        replace="      FROM (SELECT id % (SELECT count(*) FROM visit_counts) AS shard, count(*) AS n "
        "FROM added GROUP BY 1) d\n",
        claim="The count's shards are fixed: an emptied count table costs a page no division by zero.",
        killers=(f"{CH14}::test_the_count_is_kept_whatever_the_search_path_and_survives_an_emptied_count_table",),
    ),
    Mistake(
        name="webapp-granted-create",
        file="app/privileges.py",
        find='        f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role_name}",\n',
        replace='        f"GRANT CREATE ON SCHEMA public TO {role_name}",\n',
        claim="The webapp's role cannot create tables.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="webapp-may-delete-visits",
        file="app/privileges.py",
        find='    "visits": ("GRANT SELECT ON visits TO {role}",),\n',
        replace='    "visits": ("GRANT SELECT, DELETE ON visits TO {role}",),\n',
        claim="The webapp's role can insert and read visits, not delete them.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="other-databases-open-to-the-webapp",
        file="app/privileges.py",
        find='    statements += [f"REVOKE CONNECT, TEMPORARY ON DATABASE {quote(name)} FROM PUBLIC" '
        "for name in present]\n",
        replace="",
        claim="The webapp's role cannot connect to the cluster's other databases.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="adopted-schema-left-to-the-webapp",
        file="app/privileges.py",
        find='            connection.execute(text(f"ALTER {kind} {relation} OWNER TO CURRENT_USER"))\n',
        replace="            pass\n",
        claim="A database from before the migrations is taken over from the webapp's role, its visits kept.",
        killers=(f"{CH14}::test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit",),
    ),
    Mistake(
        name="adopted-database-left-to-the-webapp",
        file="app/privileges.py",
        find='        connection.execute(text(f"ALTER {kind} {name} OWNER TO CURRENT_USER"))\n',
        replace="        pass\n",
        claim="A database the webapp's role made before the migrations becomes the owner's.",
        killers=(f"{CH14}::test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit",),
    ),
    Mistake(
        name="adopted-count-function-left-to-the-webapp",
        file="app/privileges.py",
        find='        connection.execute(text(f"ALTER FUNCTION {function} OWNER TO CURRENT_USER"))\n',
        replace="        pass\n",
        claim="An old count function the migrations replaced becomes the owner's.",
        killers=(f"{CH14}::test_a_database_made_by_the_release_before_migrations_is_adopted_with_every_visit",),
    ),
    Mistake(
        name="planted-trigger-kept",
        file="app/migrate.py",
        find="        disarm_the_schema(connection)\n",
        replace="",
        claim="A trigger the migrations did not make is dropped from the schema's tables before they run.",
        killers=(
            f"{CH14}::test_a_database_adopted_from_before_the_migrations_keeps_its_visits_and_nothing_the_old_webapp_planted",
        ),
    ),
    Mistake(
        name="planted-rule-kept",
        file="app/privileges.py",
        find="FROM pg_rules WHERE schemaname = 'public'",
        replace="FROM pg_rules WHERE false",
        claim="A rule on the schema's tables (none of the migrations') is dropped.",
        killers=(
            f"{CH14}::test_a_database_adopted_from_before_the_migrations_keeps_its_visits_and_nothing_the_old_webapp_planted",
        ),
    ),
    Mistake(
        name="old-webapps-functions-become-the-owners",
        file="app/privileges.py",
        find='        f"DROP OWNED BY {role_name}",\n',
        replace='        f"REASSIGN OWNED BY {role_name} TO CURRENT_USER",\n',
        claim="Functions the webapp's role made are dropped, never handed to the owner (with the owner's rights).",
        killers=(
            f"{CH14}::test_a_database_adopted_from_before_the_migrations_keeps_its_visits_and_nothing_the_old_webapp_planted",
        ),
    ),
    Mistake(
        name="planted-trigger-dropped-in-silence",
        file="app/privileges.py",
        find="    if planted:\n        log.warning(",
        replace="    if False:\n        log.warning(",
        claim="A migrate run that drops a planted trigger or rule says so in its log.",
        killers=(
            f"{CH14}::test_a_database_adopted_from_before_the_migrations_keeps_its_visits_and_nothing_the_old_webapp_planted",
        ),
    ),
    Mistake(
        name="webapp-does-not-wait-for-migrate",
        file="docker-compose.yml",
        find="        condition: service_completed_successfully\n",
        replace="        condition: service_started\n",
        claim="The webapp starts only once the migrate service has exited 0.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="swarm-migrations-a-service-not-a-job",
        file="swarm/stack.yml",
        find="      mode: replicated-job\n",
        replace="      mode: replicated\n",
        claim="In the Swarm stack the migrations are a job that runs once to completion.",
        killers=(f"{CH18}::test_the_migrations_ran_once_as_a_swarm_job_as_the_databases_owner",),
    ),
    # --- scripts/backup.sh, scripts/restore.sh: a copy of the data, and back ---
    Mistake(
        name="backup-without-the-visits",
        file="scripts/backup.sh",
        find="exec pg_dump --format=custom",
        replace="exec pg_dump --format=custom --schema-only",
        claim="A backup carries every visit: restored into a new stack, ids, times and total are exact.",
        killers=(f"{CH15}::test_visits_survive_down_volumes_through_a_backup_and_a_restore_into_a_fresh_stack",),
    ),
    Mistake(
        name="restore-overwrites-a-database-with-visits",
        file="scripts/restore.sh",
        find='[ "${FORCE:-}" = 1 ] ||',
        replace='[ "${FORCE:-1}" = 1 ] ||',
        claim="A restore never replaces visits unasked: into a database with any visit it is refused unless FORCE=1.",
        killers=(f"{CH15}::test_a_restore_refuses_a_database_that_has_visits_and_with_force_replaces_them",),
    ),
    Mistake(
        name="failed-backup-kept-under-its-final-name",
        file="scripts/backup.sh",
        find='dump "$partial" || die',
        replace='dump "$partial" || say',
        claim="A file named *.dump is a whole dump: a backup whose pg_dump fails leaves no file under its final name.",
        killers=(f"{CH15}::test_a_backup_that_fails_leaves_no_file",),
    ),
    Mistake(
        name="failed-backup-leaves-its-partial",
        file="scripts/backup.sh",
        find="trap 'rm -f \"$partial\"' EXIT",
        replace="trap '' EXIT",
        claim="A backup that fails leaves nothing behind, not even its partial file.",
        killers=(f"{CH15}::test_a_backup_that_fails_leaves_no_file",),
    ),
    Mistake(
        name="restore-not-one-transaction",
        file="scripts/restore.sh",
        find='--quiet --single-transaction -c "TRUNCATE visits"',
        replace='--quiet -c "TRUNCATE visits"',
        claim="A dump whose rows the stack's table refuses changes nothing: one transaction, rolled back.",
        killers=(f"{CH15}::test_a_restore_refuses_a_dump_cut_short_and_a_file_that_is_no_dump_and_changes_nothing",),
    ),
    Mistake(
        name="restore-loads-the-dump-into-the-stacks-database",
        file="scripts/restore.sh",
        find='  in_sandbox pg_restore --dbname=restore --no-owner --no-acl --exit-on-error <"$file" ||\n',
        replace=(
            "  # shellcheck disable=SC2016\n"
            '  db_client \'exec pg_restore --dbname="$PGDATABASE" --clean --if-exists --no-owner --no-acl'
            ' --single-transaction --exit-on-error\' <"$file" &&\n'
            '  in_sandbox pg_restore --dbname=restore --no-owner --no-acl --exit-on-error <"$file" ||\n'
        ),
        claim="A dump is read as data: what else it holds runs in a throwaway server, never in the stack's database.",
        killers=(f"{CH15}::test_a_hostile_dump_is_read_as_data_and_its_code_runs_in_a_throwaway_server_only",),
    ),
    Mistake(
        name="ids-widened-but-not-their-sequence",
        file="app/migrations/versions/0004_bigint_ids.py",
        find='    op.execute("ALTER SEQUENCE visits_id_seq AS bigint")\n',
        replace="",
        claim="Visit ids go past integer's range: the column and its sequence are bigint.",
        killers=(f"{CH14}::test_visit_ids_go_past_the_range_of_integer",),
    ),
    # --- compose.dev.yml: the inner loop ---
    Mistake(
        name="dev-code-synced-to-the-wrong-folder",
        file="compose.dev.yml",
        find="          target: /app/app\n",
        replace="          target: /app/synced\n",
        claim="With `make dev` an edit under app/ is served within 10 s.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="dev-template-not-watched",
        file="compose.dev.yml",
        find="      - --extra-files=app/templates/index.html\n",
        replace="",
        claim="With `make dev` an edit to the page's template is served within 10 s.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="dev-requirements-synced-not-rebuilt",
        file="compose.dev.yml",
        find="        - action: rebuild\n          path: requirements.txt\n",
        replace="        - action: sync\n          path: requirements.txt\n          target: /app/requirements.txt\n",
        claim="With `make dev` an edit to the requirements builds a new image and replaces the container.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="dev-api-code-not-synced",
        file="compose.dev.yml",
        find="          target: /app/service.py\n",
        replace="          target: /app/synced.py\n",
        claim="With `make dev` an edit to the api's code is served within 10 s.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="dev-dockerfile-not-watched",
        file="compose.dev.yml",
        find="        - action: rebuild\n          path: Dockerfile\n",
        replace="",
        claim="With `make dev` an edit to the webapp's Dockerfile builds a new image and replaces the container.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="dev-server-without-reloader",
        file="compose.dev.yml",
        find="      - --reload\n",
        replace="      - --no-reload\n",
        claim="With `make dev` a fixed syntax error brings the page back with no restart by hand.",
        killers=(INNER_LOOP,),
    ),
    Mistake(
        name="webapp-may-set-ids-and-times",
        file="app/privileges.py",
        find='    "visits.request_id": ("GRANT INSERT (request_id) ON visits TO {role}",),\n',
        replace='    "visits.request_id": ("GRANT INSERT ON visits TO {role}",),\n',
        claim="The webapp's role inserts visits whose id and time are the database's.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="webapp-may-write-the-count",
        file="app/privileges.py",
        find='    "visit_counts": ("GRANT SELECT ON visit_counts TO {role}",),\n',
        replace='    "visit_counts": ("GRANT SELECT, UPDATE ON visit_counts TO {role}",),\n',
        claim="The webapp's role reads the count and cannot write it.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="count-function-with-the-callers-rights",
        file="app/migrations/versions/0002_visit_counts.py",
        find="LANGUAGE plpgsql SECURITY DEFINER SET",
        replace="LANGUAGE plpgsql SET",
        claim="The count is kept for a webapp that may not write it: its trigger runs with its owner's rights.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="rights-granted-on-tables-not-there-yet",
        file="app/privileges.py",
        find="    grants = [grant for relation, needs in PAGE_NEEDS.items() if _exists(connection, relation) "
        "for grant in needs]\n",
        replace="    grants = [grant for needs in PAGE_NEEDS.values() for grant in needs]\n",
        claim="A database migrated to an earlier revision gives the webapp its rights on the tables it has.",
        killers=(f"{CH14}::test_each_migration_has_a_downgrade_that_undoes_it_and_the_tables_agree_with_the_code",),
    ),
    Mistake(
        name="restore-leaves-the-webapp-stopped",
        file="scripts/restore.sh",
        find="  remove_sandbox\n  start_the_webapp_again\n",
        replace="  remove_sandbox\n",
        claim="A restore holds the webapp off while it runs, and it serves again afterwards.",
        killers=(f"{CH15}::test_a_restore_refuses_a_database_that_has_visits_and_with_force_replaces_them",),
    ),
    Mistake(
        name="restore-leaves-its-throwaway-server",
        file="scripts/restore.sh",
        find="  remove_sandbox\n  start_the_webapp_again\n",
        replace="  start_the_webapp_again\n",
        claim="The throwaway server a dump is loaded into is gone once the restore ends.",
        killers=(f"{CH15}::test_a_hostile_dump_is_read_as_data_and_its_code_runs_in_a_throwaway_server_only",),
    ),
    Mistake(
        name="restore-takes-a-dump-of-a-newer-release",
        file="scripts/restore.sh",
        find='  grep -qxF -- "$version" <(known_revisions) ||\n',
        replace="  true ||\n",
        claim="A dump at a schema version this release's migrations do not know (a newer release's) is refused.",
        killers=(f"{CH15}::test_a_restore_refuses_a_dump_cut_short_and_a_file_that_is_no_dump_and_changes_nothing",),
    ),
    Mistake(
        name="restore-takes-a-dump-without-its-version",
        file="scripts/restore.sh",
        find='2>/dev/null) ||\n    die "$file has no schema version',
        replace='2>/dev/null) ||\n    true "$file has no schema version',
        claim="A dump without the schema's version is refused: the restore could not tell what its tables hold.",
        killers=(f"{CH15}::test_a_restore_refuses_a_dump_cut_short_and_a_file_that_is_no_dump_and_changes_nothing",),
    ),
    Mistake(
        name="swarm-rebuilt-image-not-rolled-out",
        file="swarm/stack.yml",
        find="    labels:\n      org.example.image-id: ${WEBAPP_IMAGE_ID-}\n",
        replace="",
        claim="A rebuilt image under the same tag, deployed again, is rolled out to every webapp replica.",
        killers=(f"{CH18}::test_a_rebuilt_image_under_the_same_tag_is_rolled_out_and_migrates_again",),
    ),
    Mistake(
        name="migrate-default-webapp-role-renamed",
        file="app/config.py",
        find='    role = read.text("WEBAPP_DB_USER", "webapp")\n',
        replace='    role = read.text("WEBAPP_DB_USER", "web")\n',
        claim="With nothing set, the migrate command narrows the role named webapp.",
        killers=(f"{UNIT_DEFAULTS}::test_the_migrate_commands_documented_defaults_are_its_defaults",),
    ),
    # --- docker-compose.yml, compose.volume.yml, Makefile: the README's promises ---
    Mistake(
        name="default-port-not-8080",
        file="docker-compose.yml",
        find=':${WEBAPP_PORT:-8080}:5000"',
        replace=':${WEBAPP_PORT:-8081}:5000"',
        claim="The tutorial's mapping: the webapp is published on host port 8080 by default.",
        killers=(f"{CH06}::test_by_default_the_webapp_is_published_on_host_port_8080",),
    ),
    Mistake(
        name="webapp-published-on-the-wrong-container-port",
        file="docker-compose.yml",
        find=':${WEBAPP_PORT:-8080}:5000"',
        replace=':${WEBAPP_PORT:-8080}:8080"',
        claim="The host port leads to the webapp's container port 5000.",
        killers=(f"{CH06}::test_up_ps_logs_and_down",),
    ),
    Mistake(
        name="webapp-starts-before-the-database-is-healthy",
        file="docker-compose.yml",
        find="      migrate:\n        condition: service_completed_successfully\n",
        replace="",
        claim="The webapp starts only once the database reports healthy (after migrate, which waits for it).",
        killers=(f"{CH06}::test_the_webapp_starts_only_once_the_database_and_the_api_are_healthy[db]",),
    ),
    Mistake(
        name="webapp-starts-before-the-api-is-healthy",
        file="docker-compose.yml",
        find="      api:\n        condition: service_healthy\n",
        replace="      api:\n        condition: service_started\n",
        claim="The webapp starts only once the api reports healthy.",
        killers=(f"{CH06}::test_the_webapp_starts_only_once_the_database_and_the_api_are_healthy[api]",),
    ),
    Mistake(
        name="api-publishes-its-port",
        file="docker-compose.yml",
        find='    expose:\n      - "5001"\n',
        replace='    ports:\n      - "5001"\n',
        claim="The api is reachable only inside the Compose network: it publishes no host port.",
        killers=(f"{CH07}::test_the_api_publishes_no_port",),
    ),
    Mistake(
        name="webapp-looks-for-the-api-elsewhere",
        file="docker-compose.yml",
        find="API_URL: http://api:5001",
        replace="API_URL: http://localhost:5001",
        claim="In Compose the webapp reaches the api by its service name.",
        killers=(f"{CH11}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
    ),
    Mistake(
        name="api-off-the-compose-network",
        file="docker-compose.yml",
        find='    # No published port: only services on its network reach it, by the name "api".\n',
        replace="    network_mode: bridge\n",
        claim="In Compose the api is on the webapp's network, where its service name resolves.",
        killers=(f"{CH07}::test_in_compose_the_webapp_reaches_the_api_by_its_service_name",),
    ),
    Mistake(
        name="database-data-on-a-tmpfs",
        file="docker-compose.yml",
        find="      - /var/run/postgresql\n",
        replace="      - /var/run/postgresql\n      - /var/lib/postgresql/data\n",
        claim="The visits survive `docker compose stop` and `start`: the container keeps its data.",
        killers=(f"{CH10}::test_visits_survive_stop_and_start",),
    ),
    Mistake(
        name="named-volume-by-default",
        file="docker-compose.yml",
        find="      retries: 3\n",
        replace="      retries: 3\n    volumes:\n      - db-data:/var/lib/postgresql/data\n\nvolumes:\n  db-data:\n",
        claim="As in the tutorial, without compose.volume.yml `docker compose down` takes the visits with it.",
        killers=(f"{CH10}::test_without_a_volume_down_loses_the_visits",),
    ),
    Mistake(
        name="named-volume-mounted-beside-the-data",
        file="compose.volume.yml",
        find="db-data:/var/lib/postgresql/data",
        replace="db-data:/var/lib/postgresql/kept",
        claim="With compose.volume.yml the visits survive `docker compose down`.",
        killers=(f"{CH10}::test_with_a_named_volume_visits_survive_down_until_the_volume_is_removed",),
    ),
    Mistake(
        name="make-down-keeps-the-anonymous-volume",
        file="Makefile",
        find="docker compose down --volumes",
        replace="docker compose down",
        claim="`make down` leaves nothing behind: no orphaned anonymous volume.",
        killers=(f"{CH06}::test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing",),
    ),
    Mistake(
        name="make-up-returns-before-healthy",
        file="Makefile",
        find="docker compose up --build --wait",
        replace="docker compose up --build --detach",
        claim="`make up` returns only when every service is healthy.",
        killers=(f"{CH06}::test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing",),
    ),
    # --- the Dockerfiles and the build context ---
    Mistake(
        name="webapp-code-copied-before-requirements",
        file="Dockerfile",
        find="COPY requirements.txt .\n",
        replace="COPY app/ ./app/\nCOPY requirements.txt .\n",
        claim="A code-only change to the webapp rebuilds without re-running pip.",
        killers=(f"{CH04}::test_a_code_only_change_to_the_webapp_rebuilds_without_pip",),
    ),
    Mistake(
        name="api-code-copied-before-requirements",
        file="api/Dockerfile",
        find="COPY requirements.txt .\n",
        replace="COPY service.py gunicorn_conf.py ./\nCOPY requirements.txt .\n",
        claim="A code-only change to the api rebuilds without re-running pip.",
        killers=(f"{CH04}::test_a_code_change_needs_a_rebuild_and_a_new_container",),
    ),
    Mistake(
        name="webapp-image-without-bytecode",
        file="Dockerfile",
        find="RUN python -m compileall",
        replace="# RUN python -m compileall",
        claim="The webapp image carries the bytecode of what its server imports: a start compiles nothing.",
        killers=(f"{CH02}::test_the_image_carries_the_bytecode_of_what_its_server_imports",),
    ),
    Mistake(
        name="api-image-without-bytecode",
        file="api/Dockerfile",
        find="RUN python -m compileall",
        replace="# RUN python -m compileall",
        claim="The api image carries the bytecode of what its server imports: a start compiles nothing.",
        killers=(f"{CH02}::test_the_image_carries_the_bytecode_of_what_its_server_imports",),
    ),
    Mistake(
        name="webapp-runs-as-root",
        file="Dockerfile",
        find="USER 10001\n",
        replace="",
        claim="The webapp's server runs as a non-root user.",
        killers=(f"{CH02}::test_each_instruction_has_its_effect_in_a_running_container",),
    ),
    Mistake(
        name="api-runs-as-root",
        file="api/Dockerfile",
        find="USER 10001\n",
        replace="",
        claim="The api's server runs as a non-root user.",
        killers=(f"{CH02}::test_image_metadata_matches_the_dockerfile",),
    ),
    Mistake(
        name="webapp-command-in-shell-form",
        file="Dockerfile",
        find='CMD ["python", "-m", "app.serve"]',
        replace="CMD python -m app.serve",
        claim="`docker stop` reaches the server (exec form, no shell as PID 1) and ends cleanly and fast.",
        killers=(
            f"{CH02}::test_docker_stop_is_quick_and_clean",
            f"{CH16}::test_a_webapp_stopped_under_load_finishes_what_it_began_and_exits_cleanly",
        ),
    ),
    Mistake(
        name="webapp-without-a-health-check",
        file="Dockerfile",
        find="HEALTHCHECK --interval=30s",
        replace="# HEALTHCHECK --interval=30s",
        claim="The webapp image reports its health, which Compose's `--wait` relies on.",
        killers=(f"{CH02}::test_image_metadata_matches_the_dockerfile",),
    ),
    Mistake(
        name="webapp-probed-every-second-at-rest",
        file="Dockerfile",
        find="HEALTHCHECK --interval=30s",
        replace="HEALTHCHECK --interval=1s",
        claim="Once healthy, the webapp is probed every 30 s: an idle stack costs next to no CPU.",
        killers=(
            f"{CH02}::test_the_health_check_probes_while_the_server_starts_and_rarely_once_it_is_healthy[webapp_image]",
            f"{CH11}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",
        ),
    ),
    Mistake(
        name="api-health-check-without-start-interval",
        file="api/Dockerfile",
        find=" --start-interval=500ms",
        replace="",
        claim="A new api container is probed every half second, so it is healthy as soon as it answers.",
        killers=(
            f"{CH02}::test_the_health_check_probes_while_the_server_starts_and_rarely_once_it_is_healthy[api_image]",
            f"{CH11}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",
        ),
    ),
    Mistake(
        name="db-probed-every-second-at-rest",
        file="docker-compose.yml",
        find="      interval: 30s\n",
        replace="      interval: 1s\n",
        claim="Once healthy, the database is probed every 30 s, as the other services are.",
        killers=(f"{CH11}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",),
    ),
    Mistake(
        name="db-health-check-without-start-interval",
        file="docker-compose.yml",
        find="      start_interval: 500ms\n",
        replace="",
        claim="A new database is probed every half second, so the services that wait for it start soon.",
        killers=(f"{CH11}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",),
    ),
    Mistake(
        name="dockerignore-lets-the-venv-in",
        file=".dockerignore",
        find=".venv\nvenv\n",
        replace="venv\n",
        claim="A local virtual environment never reaches the build context.",
        killers=(f"{CH02}::test_dockerignore_keeps_local_clutter_out_of_the_build_context",),
    ),
    Mistake(
        name="dockerignore-lets-git-in",
        file=".dockerignore",
        find=".git\n.github\n",
        replace=".github\n",
        claim=".git never reaches the build context.",
        killers=(f"{CH02}::test_dockerignore_keeps_local_clutter_out_of_the_build_context",),
    ),
    Mistake(
        name="dockerignore-lets-the-env-file-in",
        file=".dockerignore",
        find="\n.env\n",
        replace="\n",
        claim="The .env file (settings, perhaps secrets) never reaches the build context.",
        killers=(f"{CH02}::test_dockerignore_keeps_local_clutter_out_of_the_build_context",),
    ),
    Mistake(
        name="dockerignore-lets-caches-in",
        file=".dockerignore",
        find="**/__pycache__\n",
        replace="",
        claim="Python's bytecode caches never reach the build context.",
        killers=(f"{CH02}::test_dockerignore_keeps_local_clutter_out_of_the_build_context",),
    ),
    # --- the servers ---
    Mistake(
        name="webapp-listens-on-loopback-only",
        file="app/serve.py",
        find='ADDRESS, PORT = "0.0.0.0", 5000',
        replace='ADDRESS, PORT = "127.0.0.1", 5000',
        claim="The webapp listens on all interfaces, so the published port reaches it.",
        killers=(f"{CH11}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
    ),
    Mistake(
        name="webapp-request-threads-bound-connections",
        file="app/serve.py",
        find="        http1_settings=HTTP1Settings(",
        replace="        backpressure=settings.web_threads,\n        http1_settings=HTTP1Settings(",
        claim="Clients that send half a request and go quiet take nothing from the others.",
        killers=(f"{CH11}::test_64_clients_that_send_half_a_request_and_go_quiet_take_nothing_from_the_others",),
    ),
    Mistake(
        name="webapp-waits-a-minute-for-a-request-half-sent",
        file="app/serve.py",
        find="HEADER_READ_TIMEOUT_MS = 10_000\n",
        replace="HEADER_READ_TIMEOUT_MS = 60_000\n",
        claim="A request left half sent is dropped after 10 s: such sockets cannot pile up.",
        killers=(f"{CH11}::test_64_clients_that_send_half_a_request_and_go_quiet_take_nothing_from_the_others",),
    ),
    Mistake(
        name="api-listens-on-loopback-only",
        file="api/gunicorn_conf.py",
        find='bind = "0.0.0.0:5001"',
        replace='bind = "127.0.0.1:5001"',
        claim="The api listens on all interfaces, so other containers reach it.",
        killers=(f"{CH03}::test_a_published_port_answers_on_the_host_port",),
    ),
    Mistake(
        name="webapp-graceful-timeout-beyond-dockers",
        file="app/serve.py",
        find="GRACEFUL_TIMEOUT_S = 5\n",
        replace="GRACEFUL_TIMEOUT_S = 30\n",
        claim="`docker stop` ends cleanly before Docker's kill, even with a request hanging.",
        killers=(f"{CH02}::test_docker_stop_ends_cleanly_even_with_a_request_hanging",),
    ),
    Mistake(
        name="api-says-something-else",
        file="api/service.py",
        find='MESSAGE = "Hello from the API container!"',
        replace='MESSAGE = "Hello from somewhere"',
        claim="The page shows the api's own message.",
        killers=(f"{CH11}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
    ),
    # --- the webapp: database, retry, timeouts, answers ---
    Mistake(
        name="webapp-default-api-url-wrong",
        file="app/config.py",
        find='read.text("API_URL", "http://api:5001")',
        replace='read.text("API_URL", "http://localhost:5001")',
        claim='By default the webapp finds the api by the name "api" (a network alias or a Compose service).',
        killers=(f"{CH07}::test_a_network_alias_names_a_container_on_a_user_defined_network",),
    ),
    Mistake(
        name="api-outage-breaks-the-page",
        file="app/api_client.py",
        find="        except NewConnectionError as error:  # refused, or a name that does not resolve\n",
        replace="        except urllib3.exceptions.LocationValueError as error:\n",
        claim="With the api stopped the page says plainly that the api is unreachable.",
        killers=(f"{CH07}::test_with_the_api_stopped_the_page_says_so_quickly_and_still_renders",),
    ),
    Mistake(
        name="database-outage-is-a-server-error",
        file="app/views.py",
        find="    except SQLAlchemyError as error:\n        db_error = _unavailable(error)\n",
        replace="    except ValueError as error:\n        db_error = str(error)\n",
        claim='While the database is down the page answers 503 "database unavailable", not a server error.',
        killers=(
            f"{CH09}::test_a_database_restart_under_a_running_webapp",
            f"{CH16}::test_a_database_killed_under_load_loses_no_answered_visit",
        ),
    ),
    Mistake(
        name="requirements-installed-off-the-path",
        file="Dockerfile",
        find="RUN pip install --no-cache-dir --require-hashes -r requirements.txt",
        replace="RUN pip install --no-cache-dir --require-hashes --target /app/packages -r requirements.txt",
        claim="The webapp's packages are installed into the image's own Python.",
        killers=(f"{CH02}::test_requirements_live_in_the_image_not_on_the_host",),
    ),
    Mistake(
        name="startup-retry-never-runs",
        file="app/__init__.py",
        find="        wait_in_background(store.check_schema, settings)\n",
        replace="        pass\n",
        claim="The webapp waits for the database in the background and is ready before any request.",
        killers=(f"{CH09}::test_the_webapp_is_ready_within_a_backoff_step_of_the_database_and_before_any_request",),
    ),
    Mistake(
        name="retry-without-backoff",
        file="app/startup.py",
        find="multiplier=settings.db_retry_initial_delay,",
        replace="multiplier=0,",
        claim="The pauses between attempts grow exponentially.",
        killers=(f"{CH09}::test_the_retry_backs_off_exponentially_up_to_its_cap",),
    ),
    Mistake(
        name="retry-without-a-cap",
        file="app/startup.py",
        find="max=settings.db_retry_max_delay,",
        replace="max=settings.db_retry_max_delay * 100,",
        claim="The pauses between attempts stop growing at DB_RETRY_MAX_DELAY.",
        killers=(f"{CH09}::test_the_retry_backs_off_exponentially_up_to_its_cap",),
    ),
    Mistake(
        name="retry-past-its-deadline",
        file="app/startup.py",
        find="stop=stop_after_delay(settings.db_startup_deadline),",
        replace="stop=stop_after_delay(settings.db_startup_deadline * 10),",
        claim="The retry gives up at DB_STARTUP_DEADLINE.",
        killers=(f"{CH09}::test_with_no_database_it_gives_up_at_its_deadline_and_answers_unavailable_at_once",),
    ),
    Mistake(
        name="retry-gives-up-at-once",
        file="app/startup.py",
        find="stop=stop_after_delay(settings.db_startup_deadline),",
        replace="stop=stop_after_delay(0),",
        claim="The retry keeps trying for the whole DB_STARTUP_DEADLINE.",
        killers=(f"{CH09}::test_with_no_database_it_gives_up_at_its_deadline_and_answers_unavailable_at_once",),
    ),
    Mistake(
        name="pooled-connections-not-checked",
        file="app/visits.py",
        find="pool_pre_ping=True,",
        replace="pool_pre_ping=False,",
        claim="After a database restart the first request already succeeds (pre-ping).",
        killers=(f"{CH09}::test_after_a_database_restart_the_first_request_already_succeeds",),
    ),
    Mistake(
        name="no-database-connect-timeout",
        file="app/visits.py",
        find='            "connect_timeout": settings.db_connect_timeout,\n',
        replace="",
        claim="A database host that never answers costs a request only DB_CONNECT_TIMEOUT.",
        killers=(f"{CH08}::test_a_database_host_that_never_answers_costs_a_request_only_the_connect_timeout",),
    ),
    Mistake(
        name="database-connect-timeout-ten-times-longer",
        file="app/config.py",
        find='read.integer("DB_CONNECT_TIMEOUT", 2,',
        replace='read.integer("DB_CONNECT_TIMEOUT", 20,',
        claim="The default database connect timeout is 2 s.",
        killers=(f"{CH08}::test_a_database_host_that_never_answers_costs_a_request_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-connect-timeout-ten-times-longer",
        file="app/config.py",
        find='read.number("API_CONNECT_TIMEOUT", 1.0,',
        replace='read.number("API_CONNECT_TIMEOUT", 10.0,',
        claim="The default api connect timeout is 1 s.",
        killers=(f"{CH07}::test_an_api_host_that_never_answers_costs_the_page_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-called-without-a-timeout",
        file="app/api_client.py",
        find='self.pool.request("GET", self.url, timeout=timeout, preload_content=False, redirect=False)',
        replace='self.pool.request("GET", self.url, preload_content=False, redirect=False)',
        claim="An api that never answers cannot hold the page.",
        killers=(f"{CH07}::test_an_api_host_that_never_answers_costs_the_page_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-answer-read-whole",
        file="app/api_client.py",
        find="                if len(body) > MAX_MESSAGE_BYTES:\n",
        replace="                if False:\n",
        claim="The webapp reads at most 4 KiB of the api's answer.",
        killers=(
            f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib",
            f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[endless]",
        ),
    ),
    Mistake(
        name="api-answer-may-trickle-forever",
        file="app/api_client.py",
        find="armed = _DEADLINE.set(deadline)",
        replace="armed = _DEADLINE.set(None)",
        claim="An api that trickles its answer costs the page at most its two timeouts.",
        killers=(f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib",),
    ),
    # --- app/api_client.py: one deadline for the whole answer, headers included ---
    Mistake(
        name="api-headers-outside-the-deadline",
        file="app/api_client.py",
        find=(
            "armed = _DEADLINE.set(deadline)\n"
            "        try:\n"
            '            response = self.pool.request("GET", self.url, timeout=timeout, preload_content=False, '
            "redirect=False)\n"
        ),
        replace=(
            'response = self.pool.request("GET", self.url, timeout=timeout, preload_content=False, redirect=False)\n'
            "        armed = _DEADLINE.set(deadline)\n"
            "        try:\n"
        ),
        claim=(
            "The api's deadline covers its status line and headers too: an api that trickles its headers "
            "a byte at a time, each within the read timeout, costs the page only the api's two timeouts."
        ),
        killers=(
            f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib[trickled headers]",
            f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[trickle-headers]",
        ),
    ),
    # --- app/api_client.py, app/views.py: the page says what is wrong, the log says where ---
    Mistake(
        name="api-address-shown-on-the-page",
        file="app/api_client.py",
        find='return ApiReply(None, f"the api {what}", detail)',
        replace='return ApiReply(None, f"the api at {self.url} {what}", detail)',
        claim="When the api fails, the page says what is wrong but never the api's address.",
        killers=(
            f"{UNIT_VIEWS}::test_a_failed_api_is_named_on_the_page_by_what_is_wrong_and_in_the_log_by_its_address",
            f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[silent]",
        ),
    ),
    Mistake(
        name="api-failure-not-logged",
        file="app/views.py",
        find='        current_app.logger.warning("api unavailable: %s", reply.detail)\n',
        replace="        pass\n",
        claim="When the api fails, the webapp's log names the api's URL and what failed.",
        killers=(
            f"{UNIT_VIEWS}::test_a_failed_api_is_named_on_the_page_by_what_is_wrong_and_in_the_log_by_its_address",
            f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[silent]",
        ),
    ),
    # --- app/config.py: API_URL carries no credentials, and a refusal never echoes one ---
    Mistake(
        name="api-url-may-carry-credentials",
        file="app/config.py",
        find='    if "@" in parts.netloc:\n',
        replace="    if False:\n",
        claim="An API_URL with user info (user:password@) is refused at start, naming API_URL.",
        killers=(f"{UNIT_CONFIG}::test_an_api_url_with_credentials_is_refused_without_echoing_them",),
    ),
    Mistake(
        name="api-url-may-carry-a-token-in-its-query",
        file="app/config.py",
        find='    if parts.query or parts.fragment or "?" in url or "#" in url:\n',
        replace="    if False:\n",
        claim="An API_URL with a query or a fragment (?token=, #…) is refused at start, naming API_URL.",
        killers=(f"{UNIT_CONFIG}::test_an_api_url_with_credentials_is_refused_without_echoing_them",),
    ),
    Mistake(
        name="database-url-query-password-shown",
        file="app/config.py",
        find="    return url.set(query=query).render_as_string(hide_password=True)\n",
        replace="    return url.render_as_string(hide_password=True)\n",
        claim="A password in the DATABASE_URL's query (?password=) never shows in the settings line.",
        killers=(f"{UNIT_CONFIG}::test_a_password_in_the_database_urls_query_is_kept_out_of_descriptions",),
    ),
    Mistake(
        name="malformed-api-url-echoes-its-secret",
        file="app/config.py",
        find='shown = "API_URL" if "@" in url else f"API_URL={url!r}"',
        replace='shown = f"API_URL={url!r}"',
        claim="A malformed API_URL that may hold a secret (user:token@api:5001) is refused without echoing it.",
        killers=(f"{UNIT_CONFIG}::test_an_api_url_with_credentials_is_refused_without_echoing_them[no scheme]",),
    ),
    Mistake(
        name="api-redirect-shown-as-its-message",
        file="app/api_client.py",
        find="        if not 200 <= status < 300:  # an error, or a redirect",
        replace="        if status >= 400:  # an error, or a redirect",
        claim="A redirect from the api is reported, never shown as its message.",
        killers=(f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib",),
    ),
    Mistake(
        name="api-read-timeout-ignored",
        file="app/api_client.py",
        find="self.timeout = (settings.api_connect_timeout, settings.api_read_timeout)",
        replace="self.timeout = (settings.api_connect_timeout, 30.0)",
        claim="A slow api costs the page at most API_READ_TIMEOUT.",
        killers=(
            f"{UNIT_VIEWS}::test_a_slow_api_is_said_plainly_within_the_read_timeout",
            f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[silent]",
        ),
    ),
    Mistake(
        name="webapp-connects-as-another-user",
        file="app/config.py",
        find='username=read.text("POSTGRES_USER", "postgres"),',
        replace='username="postgres",',
        claim="The webapp connects with the user it is given.",
        killers=(f"{CH08}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="visit-never-committed",
        file="app/visits.py",
        find='        isolation_level="AUTOCOMMIT",\n',
        replace="",
        claim="Each page answered 200 is exactly one row in the table, also under a burst of clients.",
        killers=(f"{CH16}::test_a_burst_of_16_clients_loses_nothing_and_doubles_nothing",),
    ),
    Mistake(
        name="page-statement-prepared-for-every-page",
        file="app/visits.py",
        find="        prepared.add(name)\n",
        replace="",
        claim="A pooled connection prepares the page's statement once, and every later page on it runs it.",
        killers=(
            f"{CH08}::test_each_visit_is_a_row_listed_newest_first",
            f"{CH16}::test_a_burst_of_16_clients_loses_nothing_and_doubles_nothing",
        ),
    ),
    Mistake(
        name="stale-prepared-statement-never-renewed",
        file="app/visits.py",
        find='        if getattr(error.orig, "pgcode", None) not in _STALE_PREPARED_STATEMENT:\n',
        replace="        if True:\n",
        claim="A statement prepared before the table changed is prepared anew, and the visit recorded once.",
        killers=(f"{CH08}::test_a_migration_of_the_table_while_the_webapp_runs_costs_no_page",),
    ),
    Mistake(
        name="request-id-ignored",
        file="app/views.py",
        find="    return given if _REQUEST_ID.fullmatch(given) else None\n",
        replace="    return None\n",
        claim="A request sent again with its request id (X-Request-Id) is recorded once.",
        killers=(f"{CH08}::test_a_request_sent_again_with_its_request_id_is_recorded_once",),
    ),
    Mistake(
        name="request-id-recorded-without-its-unique-index",
        file="app/visits.py",
        find=' ON CONFLICT (request_id) WHERE request_id IS NOT NULL DO NOTHING"',
        replace='"',
        claim="A request id seen before records nothing and the page still answers 200.",
        killers=(f"{CH08}::test_a_request_sent_again_with_its_request_id_is_recorded_once",),
    ),
    Mistake(
        name="request-id-seen-again-on-a-page-of-one-answers-500",
        file="app/visits.py",
        find="            if not rows:  # an id seen before on a page of one: nothing added, no older row asked for\n"
        "                return _page(connection, page_size)\n",
        replace="",
        claim="A request id seen before gets its page also when a page lists one visit (VISITS_PAGE_SIZE=1).",
        killers=(f"{CH08}::test_a_request_sent_again_with_its_request_id_is_recorded_once[a page of one visit]",),
    ),
    Mistake(
        name="request-id-anything-a-client-sends",
        file="app/views.py",
        find="    return given if _REQUEST_ID.fullmatch(given) else None\n",
        replace="    return given or None\n",
        claim="A header that is not a request id is ignored, never a failed page.",
        killers=(f"{CH08}::test_a_request_sent_again_with_its_request_id_is_recorded_once",),
    ),
    Mistake(
        name="request-id-index-left-off-old-tables",
        file="app/migrations/versions/0003_request_id.py",
        find='"CREATE UNIQUE INDEX IF NOT EXISTS visits_request_id ON visits (request_id) '
        'WHERE request_id IS NOT NULL"',
        replace='"SELECT 1"',
        claim="A table from before the request id learns to record a request sent again once.",
        killers=(f"{CH08}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="access-log-lets-a-client-forge-its-line",
        file="app/access_log.py",
        find="""    {ord("\\\\"): "\\\\\\\\", ord('"'): '\\\\"'}\n""",
        replace="""    {ord('"'): '\\\\"'}\n""",
        claim="A backslash a client sends is escaped in the access log, so it cannot fake an escape of its own.",
        killers=(f"{UNIT_ACCESS_LOG}::test_each_request_writes_one_line_whose_fields_are_what_the_client_sent",),
    ),
    Mistake(
        name="access-log-lets-a-client-start-a-line",
        file="app/access_log.py",
        find='{c: f"\\\\x{c:02x}" for c in _CONTROLS}',
        replace="{}",
        claim="A line end or other control character a client sends is escaped: one request, one line.",
        killers=(f"{UNIT_ACCESS_LOG}::test_each_request_writes_one_line_whose_fields_are_what_the_client_sent",),
    ),
    Mistake(
        name="access-log-writes-c1-controls-raw",
        file="app/access_log.py",
        find="_CONTROLS = [*range(0x20), *range(0x7F, 0xA0)]",
        replace="_CONTROLS = [*range(0x20), 0x7F]",
        claim="A C1 control a client sends (NEL, a line end to str.splitlines(); CSI, a terminal's) is escaped.",
        killers=(f"{UNIT_ACCESS_LOG}::test_each_request_writes_one_line_whose_fields_are_what_the_client_sent",),
    ),
    Mistake(
        name="access-log-writes-unicode-line-separators-raw",
        file="app/access_log.py",
        find='    | {c: f"\\\\u{c:04x}" for c in (0x2028, 0x2029)}\n',
        replace="",
        claim="Unicode's line and paragraph separators a client sends are escaped: one request, one line.",
        killers=(f"{UNIT_ACCESS_LOG}::test_each_request_writes_one_line_whose_fields_are_what_the_client_sent",),
    ),
    Mistake(
        name="access-log-says-http-1-for-http-1-0",
        file="app/access_log.py",
        find='        protocol = "HTTP/1.0" if protocol == "HTTP/1" else protocol\n',
        replace="",
        claim="An HTTP/1.0 request is logged as HTTP/1.0, as the client wrote it.",
        killers=(f"{UNIT_ACCESS_LOG}::test_http_1_0_is_logged_as_the_client_wrote_it",),
    ),
    Mistake(
        name="access-log-counts-no-bytes",
        file="app/access_log.py",
        find="            self.sent += len(chunk)\n",
        replace="",
        claim="The access line gives the size of the answer's body as sent.",
        killers=(f"{UNIT_ACCESS_LOG}::test_each_request_writes_one_line_whose_fields_are_what_the_client_sent",),
    ),
    Mistake(
        name="webapp-writes-no-access-log",
        file="app/__init__.py",
        find="    app.wsgi_app = AccessLog(app.wsgi_app)",
        replace="    pass",
        claim="`docker compose logs` shows each page the webapp answered.",
        killers=(f"{CH06}::test_up_ps_logs_and_down",),
    ),
    Mistake(
        name="access-log-time-frozen-at-the-first-request",
        file="app/access_log.py",
        find="        if clock[0] != second:\n",
        replace="        if clock[0] < 0:\n",
        claim="The access line's time stamp is the second of its request (kept for a second, not longer).",
        killers=(f"{UNIT_ACCESS_LOG}::test_the_time_is_the_second_of_the_request",),
    ),
    Mistake(
        name="visit-count-not-kept",
        file="app/migrations/versions/0002_visit_counts.py",
        find='"visits_counted_insert": "AFTER INSERT ON visits',
        replace='"visits_counted_insert": "AFTER UPDATE ON visits',
        claim="The page's total counts every visit.",
        killers=(f"{CH08}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="visit-count-forgets-earlier-visits",
        file="app/migrations/versions/0002_visit_counts.py",
        find='"SELECT s, coalesce(counted.n, 0) FROM generate_series',
        replace='"SELECT s, 0 FROM generate_series',
        claim="A database from before the count existed keeps its visits in the total.",
        killers=(f"{CH08}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visit-count-ignores-deletes",
        file="app/migrations/versions/0002_visit_counts.py",
        find='"visits_counted_delete": "AFTER DELETE ON visits',
        replace='"visits_counted_delete": "AFTER UPDATE ON visits',
        claim="Visits deleted by hand leave the total.",
        killers=(f"{CH08}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visit-count-ignores-truncate",
        file="app/migrations/versions/0002_visit_counts.py",
        find="    UPDATE visit_counts SET visits = 0;\n",
        replace="    NULL;\n",
        claim="An emptied table (TRUNCATE) shows a total of 0.",
        killers=(f"{CH08}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visits-listed-oldest-first",
        file="app/visits.py",
        find="order_by(visits.c.id.desc())",
        replace="order_by(visits.c.id)",
        claim="Visits are listed newest first.",
        killers=(f"{CH08}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="page-lists-oldest-first",
        file="app/visits.py",
        find="     ORDER BY page.id DESC\n",
        replace="     ORDER BY page.id\n",
        claim="The page lists its visit and the older ones newest first.",
        killers=(f"{CH08}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="page-total-leaves-out-its-own-visit",
        file="app/visits.py",
        find="coalesce(sum(visits), 0) + (SELECT count(*) FROM added) AS total",
        replace="coalesce(sum(visits), 0) AS total",
        claim="The page's total counts the visit it records.",
        killers=(f"{CH08}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="readiness-ignores-the-database",
        file="app/views.py",
        find="        _store().check_schema()\n        _store().ping()\n",
        replace="        pass\n",
        claim="/readyz answers 503 while the database cannot be used.",
        killers=(f"{CH08}::test_a_wrong_password_is_reported_not_crash_looped",),
    ),
    Mistake(
        name="no-statement-timeout",
        file="app/visits.py",
        find='"options": f"-c statement_timeout={_ms(settings.db_statement_timeout)}",',
        replace="",
        claim="A request waiting on a lock held elsewhere ends after DB_STATEMENT_TIMEOUT with a 503.",
        killers=(f"{CH08}::test_a_request_waiting_on_a_lock_held_elsewhere_ends_at_the_statement_timeout",),
    ),
    Mistake(
        name="database-error-text-shown",
        file="app/views.py",
        find="    return DATABASE_UNAVAILABLE\n",
        replace='    return f"database unavailable: {describe_error(error)}"\n',
        claim="No answer shows the database's own error (host, address, role): only the log does.",
        killers=(f"{CH08}::test_a_wrong_password_is_reported_not_crash_looped",),
    ),
    Mistake(
        name="web-concurrency-ignored",
        file="app/serve.py",
        find="        workers=settings.web_concurrency,\n",
        replace="",
        claim="The server runs as many workers as WEB_CONCURRENCY says.",
        killers=(f"{UNIT_CONFIG}::test_the_server_runs_as_many_workers_as_web_concurrency_says",),
    ),
    Mistake(
        name="configuration-error-as-a-traceback",
        file="app/serve.py",
        find="        raise SystemExit(2) from None\n",
        replace="        raise\n",
        claim="A wrong setting stops the container at start with exit code 2 and one line naming it.",
        killers=(
            f"{CH16}::test_a_wrong_setting_stops_the_container_at_once_with_one_line_naming_it[WEB_CONCURRENCY]",
            f"{CH16}::test_a_wrong_setting_stops_the_container_at_once_with_one_line_naming_it[POSTGRES_PASSWORD_FILE]",
        ),
    ),
    Mistake(
        name="workers-may-exhaust-the-database",
        file="app/config.py",
        find="    if web_concurrency * (web_threads + 1) > budget:\n",
        replace="    if False:\n",
        claim="WEB_CONCURRENCY and WEB_THREADS cannot ask for more connections than DB_MAX_CONNECTIONS.",
        killers=(f"{UNIT_CONFIG}::test_workers_and_threads_must_fit_the_database_connections",),
    ),
    Mistake(
        name="limit-accepts-unicode-digits",
        file="app/views.py",
        find="    if not _WHOLE_NUMBER.fullmatch(raw_limit) or",
        replace="    if not raw_limit.isdigit() or",
        claim="Any `limit` that is not 1 to 1000 in ASCII digits is refused with 400, never a 500.",
        killers=(f"{UNIT_VIEWS}::test_any_limit_but_1_to_1000_in_ascii_digits_is_refused_with_400",),
    ),
    Mistake(
        name="liveness-depends-on-the-database",
        file="app/views.py",
        find='    return jsonify(status="ok")',
        replace='    _store().ping()\n    return jsonify(status="ok")',
        claim="/healthz answers without the database, so a database outage never restarts the webapp.",
        killers=(f"{UNIT_VIEWS}::test_healthz_answers_without_touching_the_database",),
    ),
    Mistake(
        name="api-message-not-escaped",
        file="app/templates/index.html",
        find="{{ api.message }}",
        replace="{{ api.message | safe }}",
        claim="Everything on the page is HTML-escaped, the api's message included.",
        killers=(f"{UNIT_VIEWS}::test_the_api_message_is_html_escaped",),
    ),
    # --- the offline stand-in for the postgres image ---
    Mistake(
        name="offline-postgres-ignores-the-password-file",
        file="scripts/offline/docker-entrypoint.sh",
        find='    value=$(<"${!file_var}")\n',
        replace="    value=$default\n",
        claim="The database image reads POSTGRES_PASSWORD_FILE, as the official image does.",
        killers=(f"{CH08}::test_the_database_image_reads_its_password_from_a_file_and_stops_fast",),
    ),
    Mistake(
        name="offline-postgres-smart-shutdown",
        file="scripts/offline/postgres.Dockerfile",
        find="STOPSIGNAL SIGINT\n",
        replace="",
        claim="`docker stop` of the database is a fast shutdown, even with clients connected.",
        killers=(f"{CH08}::test_the_database_image_reads_its_password_from_a_file_and_stops_fast",),
    ),
    # --- least privilege ---
    Mistake(
        name="python-services-root-filesystem-writable",
        file="docker-compose.yml",
        find="  read_only: true\n  tmpfs:\n    - /tmp\n  cap_drop:",
        replace="  read_only: false\n  tmpfs:\n    - /tmp\n  cap_drop:",
        claim="The webapp and the api run on a read-only root filesystem.",
        killers=(f"{CH11}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-keep-capabilities",
        file="docker-compose.yml",
        find="  cap_drop:\n    - ALL\n  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        replace="  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        claim="The webapp and the api run with every capability dropped.",
        killers=(f"{CH11}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-may-gain-privileges",
        file="docker-compose.yml",
        find="  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        replace="  mem_limit",
        claim="No process of the webapp or the api can gain privileges (no-new-privileges).",
        killers=(f"{CH11}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-unbounded",
        file="docker-compose.yml",
        find="  mem_limit: 256m\n",
        replace="",
        claim="The webapp's and the api's memory is bounded.",
        killers=(f"{CH11}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-not-restarted",
        file="docker-compose.yml",
        find="  pids_limit: 128\n  restart: unless-stopped\n",
        replace="  pids_limit: 128\n",
        claim="A crashed webapp or api is restarted.",
        killers=(f"{CH11}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="api-on-the-databases-network",
        file="docker-compose.yml",
        find="    networks:\n      - frontend\n\n  db:",
        replace="    networks:\n      - frontend\n      - backend\n\n  db:",
        claim="The api, which never needs the database, cannot reach it.",
        killers=(f"{CH11}::test_only_the_webapp_shares_a_network_with_the_database_which_has_no_way_out",),
    ),
    Mistake(
        name="database-network-has-a-way-out",
        file="docker-compose.yml",
        find="  backend:\n    internal: true\n",
        replace="  backend: {}\n",
        claim="The database's network is internal: nothing on it has a route off this machine.",
        killers=(f"{CH11}::test_only_the_webapp_shares_a_network_with_the_database_which_has_no_way_out",),
    ),
    Mistake(
        name="no-security-headers",
        file="app/__init__.py",
        find="    add_security_headers(app)\n",
        replace="",
        claim="Every answer of the webapp carries its Content-Security-Policy, nosniff and no-referrer.",
        killers=(f"{CH11}::test_every_answer_of_the_webapp_allows_no_script_no_frame_and_no_referrer[/no-such-page]",),
    ),
    Mistake(
        name="page-may-be-framed",
        file="app/security_headers.py",
        find="; frame-ancestors 'none'",
        replace="",
        claim="No other site can show the page in a frame (clickjacking).",
        killers=(f"{CH11}::test_every_answer_of_the_webapp_allows_no_script_no_frame_and_no_referrer[/]",),
    ),
    Mistake(
        name="csp-style-hash-of-the-wrong-text",
        file="app/security_headers.py",
        find='style = source.split("<style>", 1)[1].split("</style>", 1)[0]',
        replace='style = source.split("<style>", 1)[1].split("</style>", 1)[0].strip()',
        claim="The page's policy allows its own inline style (a browser shows it styled, refusing nothing).",
        killers=(f"{CH12}::test_a_person_sees_the_page_a_new_row_on_reload_and_a_banner_when_the_api_stops",),
    ),
    Mistake(
        name="python-services-log-without-bound",
        file="docker-compose.yml",
        find="x-hardened: &hardened\n  logging: *bounded-log\n",
        replace="x-hardened: &hardened\n",
        claim="The webapp's and the api's logs are bounded: a flood of requests cannot fill the disk.",
        killers=(f"{CH11}::test_every_service_keeps_a_bounded_log",),
    ),
    Mistake(
        name="database-logs-without-bound",
        file="docker-compose.yml",
        find="    restart: unless-stopped\n    logging: *bounded-log\n",
        replace="    restart: unless-stopped\n",
        claim="The database's log is bounded.",
        killers=(f"{CH11}::test_every_service_keeps_a_bounded_log",),
    ),
    Mistake(
        name="logs-never-rotated",
        file="docker-compose.yml",
        find="    max-size: 10m\n",
        replace="",
        claim="Each service's log is rotated at 10 MB (without a size, json-file never rotates).",
        killers=(f"{CH11}::test_every_service_keeps_a_bounded_log",),
    ),
    Mistake(
        name="webapp-published-on-every-interface",
        file="docker-compose.yml",
        find="${WEBAPP_BIND:-127.0.0.1}",
        replace="${WEBAPP_BIND:-0.0.0.0}",
        claim="By default the webapp is reachable from this machine only.",
        killers=(f"{CH11}::test_only_the_webapp_is_published_and_only_on_loopback",),
    ),
    Mistake(
        name="database-keeps-every-capability",
        file="docker-compose.yml",
        find="    cap_drop:\n      - ALL\n    cap_add:",
        replace="    cap_add:",
        claim="The database keeps only the capabilities its entrypoint needs.",
        killers=(f"{CH11}::test_the_database_keeps_only_the_capabilities_it_needs",),
    ),
    Mistake(
        name="webapp-logs-in-as-the-superuser",
        file="docker-compose.yml",
        find=(
            "      POSTGRES_USER: ${WEBAPP_DB_USER:-webapp}\n"
            "      POSTGRES_PASSWORD_FILE: /run/secrets/webapp_db_password\n"
            "      POSTGRES_DB: ${POSTGRES_DB:-visits}\n"
            "      API_URL: http://api:5001\n"
            "    secrets:\n"
            "      - webapp_db_password\n"
        ),
        replace=(
            "      POSTGRES_USER: ${POSTGRES_USER:-postgres}\n"
            "      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n"
            "      POSTGRES_DB: ${POSTGRES_DB:-visits}\n"
            "      API_URL: http://api:5001\n"
            "    secrets:\n"
            "      - db_password\n"
        ),
        claim="The webapp uses its own database role, not the superuser.",
        killers=(f"{CH11}::test_the_webapp_uses_its_own_database_role_not_the_superuser",),
    ),
    Mistake(
        name="webapp-role-made-a-superuser",
        file="db/initdb.d/10-webapp-role.sh",
        find="LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD",
        replace="LOGIN SUPERUSER PASSWORD",
        claim="The webapp's role may do nothing beyond owning its database.",
        killers=(f"{CH11}::test_the_webapp_uses_its_own_database_role_not_the_superuser",),
    ),
    Mistake(
        name="database-password-in-the-environment",
        file="docker-compose.yml",
        find="  POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n  POSTGRES_DB",
        replace="  POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n  POSTGRES_DB",
        claim="The database's password reaches it as a secret file, never in its configuration.",
        killers=(f"{CH11}::test_passwords_reach_the_services_only_as_secret_files",),
    ),
    Mistake(
        name="offline-postgres-server-keeps-the-password",
        file="scripts/offline/docker-entrypoint.sh",
        find="  unset POSTGRES_PASSWORD\n  exec",
        replace="  exec",
        claim="The password read from a file is not left in the running server's environment.",
        killers=(f"{CH11}::test_passwords_reach_the_services_only_as_secret_files",),
    ),
    Mistake(
        name="offline-postgres-trusts-local-logins",
        file="scripts/offline/docker-entrypoint.sh",
        find='--auth-local="$AUTH_METHOD"',
        replace="--auth-local=trust",
        claim="A login over the database's local socket needs the password too.",
        killers=(f"{CH21}::test_every_login_needs_the_password_also_over_the_local_socket",),
    ),
    Mistake(
        name="offline-postgres-forgets-an-interrupted-first-start",
        file="scripts/offline/docker-entrypoint.sh",
        find='  touch "$PGDATA/$INIT_MARKER"\n',
        replace="",
        claim="A first start killed midway is made again at the next start, not left without its database.",
        killers=(f"{CH21}::test_a_first_start_killed_midway_starts_over_on_the_next",),
    ),
    # --- the stand-ins keep the official images' contract (chapter 21) ---
    Mistake(
        name="offline-python-outside-usr-local",
        file="scripts/offline/python.Dockerfile",
        find="ARG PYTHON_PREFIX=/usr/local\n",
        replace="ARG PYTHON_PREFIX=/opt/venv\n",
        claim="python, python3, pip and pip3 are in /usr/local/bin, as in the official image.",
        killers=(f"{CH21}::test_python_and_pip_are_in_usr_local_bin",),
    ),
    Mistake(
        name="offline-python-without-python-version",
        file="scripts/offline/python.Dockerfile",
        find="ENV PYTHON_VERSION=${PYTHON_VERSION} \\\n    PATH",
        replace="ENV PATH",
        claim="PYTHON_VERSION in the image's environment names the interpreter's version.",
        killers=(f"{CH21}::test_python_is_the_paired_version_and_says_so_in_python_version",),
    ),
    Mistake(
        name="offline-python-slimmed-of-sqlite",
        file="scripts/offline/python.Dockerfile",
        find="-o -name '*.pyc' \\)",
        replace="-o -name '*.pyc' -o -name 'libsqlite3.so*' \\)",
        claim="The standard library's ssl and sqlite3 work.",
        killers=(f"{CH21}::test_ssl_and_sqlite3_work",),
    ),
    Mistake(
        name="offline-python-without-gdbm",
        file="scripts/offline/python.Dockerfile",
        find=" python3-venv python3-gdbm ca-certificates",
        replace=" python3-venv ca-certificates",
        claim="The stand-in Python passes the official images' own import test (dbm.gnu among its modules).",
        killers=(f"{CH21}::test_the_official_images_own_import_test_passes",),
    ),
    Mistake(
        name="offline-python-ships-bytecode",
        file="scripts/offline/python.Dockerfile",
        find="-exec rm -rf '{}' +",
        replace="-print",
        claim="The image ships no .pyc files.",
        killers=(f"{CH21}::test_the_image_ships_no_compiled_bytecode",),
    ),
    Mistake(
        name="offline-python-hides-user-sites",
        file="scripts/offline/python.Dockerfile",
        find="venv --system-site-packages",
        replace="venv",
        claim="A user other than root installs with pip into their own ~/.local.",
        killers=(f"{CH21}::test_pip_installs_for_root_into_site_packages_and_for_another_user_into_their_home",),
    ),
    Mistake(
        name="offline-postgres-without-pg-version",
        file="scripts/offline/postgres.Dockerfile",
        find="ENV PG_MAJOR=${PG_MAJOR} \\\n    PG_VERSION=${PG_VERSION}\n",
        replace="ENV PG_MAJOR=${PG_MAJOR}\n",
        claim="PG_MAJOR and PG_VERSION in the image's environment name the server's version.",
        killers=(f"{CH21}::test_postgres_is_the_paired_version_and_says_so_in_pg_major_and_pg_version",),
    ),
    Mistake(
        name="offline-postgres-skips-compressed-init-scripts",
        file="scripts/offline/docker-entrypoint.sh",
        find="      *.sql.gz)",
        replace="      *.sql.gz.off)",
        claim="*.sql.gz files in /docker-entrypoint-initdb.d/ are run on the first start.",
        killers=(f"{CH21}::test_init_scripts_run_once_on_an_empty_data_directory",),
    ),
    Mistake(
        name="offline-postgres-sources-executable-init-scripts",
        file="scripts/offline/docker-entrypoint.sh",
        find='if [ -x "$f" ]; then',
        replace="if false; then",
        claim="An executable *.sh init script runs in its own process (its exit ends only itself).",
        killers=(f"{CH21}::test_init_scripts_run_once_on_an_empty_data_directory",),
    ),
    Mistake(
        name="offline-postgres-runs-init-scripts-at-every-start",
        file="scripts/offline/docker-entrypoint.sh",
        find="    mark_init_complete\n  fi\n",
        replace=(
            "    mark_init_complete\n  else\n"
            "    temp_server_start\n    process_init_files\n    temp_server_stop\n  fi\n"
        ),
        claim="Init scripts run once, on an empty data directory, never again on its later starts.",
        killers=(f"{CH21}::test_init_scripts_run_once_on_an_empty_data_directory",),
    ),
    Mistake(
        name="offline-postgres-ignores-initdb-args",
        file="scripts/offline/docker-entrypoint.sh",
        find=" $POSTGRES_INITDB_ARGS\n",
        replace="\n",
        claim="POSTGRES_INITDB_ARGS reaches initdb.",
        killers=(f"{CH21}::test_postgres_initdb_args_reach_initdb",),
    ),
    Mistake(
        name="offline-postgres-ignores-host-auth-method",
        file="scripts/offline/docker-entrypoint.sh",
        find="AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}",
        replace="AUTH_METHOD=scram-sha-256",
        claim="POSTGRES_HOST_AUTH_METHOD=trust starts without a password and lets clients in without one.",
        killers=(f"{CH21}::test_postgres_host_auth_method_trust_needs_no_password",),
    ),
    Mistake(
        name="dockerignore-lets-the-secrets-in",
        file=".dockerignore",
        find="\nsecrets\n",
        replace="\n",
        claim="The passwords in secrets/ never reach the build context.",
        killers=(f"{CH02}::test_dockerignore_keeps_local_clutter_out_of_the_build_context",),
    ),
    Mistake(
        name="secrets-readable-by-everyone-on-the-host",
        file="scripts/ensure-secrets.sh",
        find='  chmod 700 "$secrets_dir"\n',
        replace='  chmod 755 "$secrets_dir"\n',
        claim="On the host, the passwords' folder is its owner's only.",
        killers=(f"{UNIT_SCRIPTS}::test_the_secrets_are_made_once_at_random_in_a_private_folder",),
    ),
    Mistake(
        name="secrets-script-follows-links",
        file="scripts/ensure-secrets.sh",
        find='  refuse_anything_but_a_plain_file "$file"\n',
        replace="",
        claim="The secrets script never changes the mode of what a link in secrets/ points to.",
        killers=(f"{UNIT_SCRIPTS}::test_the_secrets_script_changes_nothing_a_link_points_to",),
    ),
    Mistake(
        name="secrets-folder-may-be-a-link",
        file="scripts/ensure-secrets.sh",
        find='  [ ! -L "$secrets_dir" ] || die',
        replace="  true || die",
        claim="A secrets folder that is a link elsewhere is refused, not made private.",
        killers=(f"{UNIT_SCRIPTS}::test_the_secrets_script_changes_nothing_a_link_points_to",),
    ),
    Mistake(
        name="state-folder-of-another-user-trusted",
        file="tests/support/state_folder.py",
        find="    if found.st_uid != os.getuid():\n",
        replace="    if False:\n",
        claim="A state folder another user owns is refused, naming it.",
        killers=(f"{UNIT_STATE}::test_a_state_folder_someone_else_could_write_in_is_refused_naming_it_and_why",),
    ),
    Mistake(
        name="state-folder-writable-by-all-trusted",
        file="tests/support/state_folder.py",
        find="    if stat.S_IMODE(found.st_mode) & 0o022:\n",
        replace="    if False:\n",
        claim="A state folder others may write to is refused, naming it.",
        killers=(f"{UNIT_STATE}::test_a_state_folder_someone_else_could_write_in_is_refused_naming_it_and_why",),
    ),
    Mistake(
        name="state-folder-may-be-a-link",
        file="tests/support/state_folder.py",
        find="    found = folder.lstat()\n",
        replace="    found = folder.stat()\n",
        claim="A state folder that is a link elsewhere is refused, saying so.",
        killers=(f"{UNIT_STATE}::test_a_state_folder_someone_else_could_write_in_is_refused_naming_it_and_why",),
    ),
    Mistake(
        name="state-folder-made-with-the-users-umask",
        file="tests/support/state_folder.py",
        find="        folder.mkdir(mode=0o700)\n",
        replace="        folder.mkdir(mode=0o777)\n",
        claim="The suite's state folder is made writable by its user alone, whatever the umask.",
        killers=(f"{UNIT_STATE}::test_the_state_folder_is_made_writable_by_its_user_alone_whatever_the_umask",),
    ),
    Mistake(
        name="sessions-read-from-any-folder",
        file="tests/support/cleanup.py",
        find="    with state_folder.checked(SESSIONS_FILE).open(",
        replace="    with SESSIONS_FILE.open(",
        claim="The running sessions are read only from a folder of the user's own.",
        killers=(
            f"{UNIT_STATE}::test_the_sessions_the_swarms_users_and_the_snapshots_lock_are_read_only_from_a_folder_of_ones_own",
        ),
    ),
    Mistake(
        name="swarm-lock-taken-in-any-folder",
        file="tests/support/swarm.py",
        find="    return exclusive(state_folder.checked(LOCK_FILE))",
        replace="    return exclusive(LOCK_FILE)",
        claim="The swarm's lock is taken only in a folder of the user's own.",
        killers=(
            f"{UNIT_STATE}::test_the_sessions_the_swarms_users_and_the_snapshots_lock_are_read_only_from_a_folder_of_ones_own",
        ),
    ),
    Mistake(
        name="swarm-users-read-from-any-folder",
        file="tests/support/swarm.py",
        find="raw = json.loads(state_folder.checked(STATE_FILE).read_text())",
        replace="raw = json.loads(STATE_FILE.read_text())",
        claim="Who uses the swarm is read only from a folder of the user's own.",
        killers=(
            f"{UNIT_STATE}::test_the_sessions_the_swarms_users_and_the_snapshots_lock_are_read_only_from_a_folder_of_ones_own",
        ),
    ),
    Mistake(
        name="snapshot-lock-taken-in-any-folder",
        file="tests/support/snapshot.py",
        find="    return exclusive(state_folder.checked(state_folder.FOLDER /",
        replace="    return exclusive((state_folder.FOLDER /",
        claim="The snapshot's lock is taken only in a folder of the user's own.",
        killers=(
            f"{UNIT_STATE}::test_the_sessions_the_swarms_users_and_the_snapshots_lock_are_read_only_from_a_folder_of_ones_own",
        ),
    ),
    Mistake(
        name="lan-guard-never-set-up",
        file="scripts/ensure-engine.sh",
        find="  require_new_enough_engine\n  close_container_addresses_to_the_lan\n",
        replace="  require_new_enough_engine\n",
        claim="The engine's set-up guards the containers' addresses against other machines.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_set_up_drops_what_another_machine_sends_to_a_containers_address[the set-up]",
        ),
    ),
    Mistake(
        name="lan-guard-drops-nothing",
        file="scripts/ensure-engine.sh",
        find='  for bridge in "${BRIDGES[@]}"; do echo "-A $LAN_GUARD -o $bridge -j DROP"; done\n',
        replace="",
        claim="A new connection from another machine to a container's address is dropped (moby/moby#45610).",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_set_up_drops_what_another_machine_sends_to_a_containers_address[the guard]",
        ),
    ),
    Mistake(
        name="lan-guard-drops-published-ports",
        file="scripts/ensure-engine.sh",
        find='  echo "-A $LAN_GUARD -m conntrack --ctstate DNAT -j RETURN"\n',
        replace="",
        claim="What comes through a port published on that interface still reaches its container.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_set_up_drops_what_another_machine_sends_to_a_containers_address[the guard]",
        ),
    ),
    Mistake(
        name="lan-guard-drops-what-containers-send",
        file="scripts/ensure-engine.sh",
        find='  for bridge in "${BRIDGES[@]}"; do echo "-A $LAN_GUARD -i $bridge -j RETURN"; done\n',
        replace="",
        claim="What comes from a Docker bridge (a container) is never dropped by the guard.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_set_up_drops_what_another_machine_sends_to_a_containers_address[the guard]",
        ),
    ),
    Mistake(
        name="lan-guard-rules-added-again-on-each-run",
        file="scripts/ensure-engine.sh",
        find='echo ":$LAN_GUARD - [0:0]"; ',
        replace="",
        claim="The guard's chain is written whole in one transaction, emptied first: its rules are these, once.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_set_up_drops_what_another_machine_sends_to_a_containers_address[the guard]",
        ),
    ),
    Mistake(
        name="lan-guard-rewritten-by-every-run",
        file="scripts/ensure-engine.sh",
        find='  if [ "$(as_root iptables -S "$LAN_GUARD" 2>/dev/null)" != "$(lan_guard_rules)" ]; then\n',
        replace="  if true; then\n",
        claim="A guard already as it should be is left alone: no run sees it being made.",
        killers=(f"{UNIT_SCRIPTS}::test_a_guard_already_as_it_should_be_is_left_alone",),
    ),
    Mistake(
        name="cluster-socket-folder-of-another-user-taken",
        file="scripts/cluster.sh",
        find='  [ "$owner" = "$(id -u)" ] || die',
        replace="  true || die",
        claim="A nodes' socket folder another user made is refused, naming it.",
        killers=(
            f"{UNIT_SCRIPTS}::test_a_socket_folder_someone_else_could_swap_a_socket_in_is_refused_naming_it_and_why",
        ),
    ),
    Mistake(
        name="cluster-socket-folder-writable-by-all-taken",
        file="scripts/cluster.sh",
        find="  ((8#$mode & 8#022)) && die",
        replace="  false && die",
        claim="A nodes' socket folder others may write to is refused, naming it.",
        killers=(
            f"{UNIT_SCRIPTS}::test_a_socket_folder_someone_else_could_swap_a_socket_in_is_refused_naming_it_and_why",
        ),
    ),
    Mistake(
        name="cluster-socket-folder-may-be-a-link",
        file="scripts/cluster.sh",
        find='  [ -d "$dir" ] && [ ! -L "$dir" ] || die',
        replace='  [ -d "$dir" ] || die',
        claim="A nodes' socket folder that is a link elsewhere is refused, saying so.",
        killers=(
            f"{UNIT_SCRIPTS}::test_a_socket_folder_someone_else_could_swap_a_socket_in_is_refused_naming_it_and_why",
        ),
    ),
    Mistake(
        name="cluster-socket-folder-made-with-the-users-umask",
        file="scripts/cluster.sh",
        find='(umask 022 && mkdir -p "$dir" 2>/dev/null)',
        replace='(mkdir -p "$dir" 2>/dev/null)',
        claim="The nodes' socket folder is made writable by its user alone, whatever the umask.",
        killers=(f"{UNIT_SCRIPTS}::test_the_nodes_socket_folder_is_made_writable_by_its_user_alone",),
    ),
    Mistake(
        name="cluster-node-started-without-checking-its-socket-folder",
        file="scripts/cluster.sh",
        find='  own_folder "$SOCKETS"\n  own_folder "$SOCKETS/$node"\n',
        replace='  mkdir -p "$SOCKETS/$node"\n',
        claim="No node starts while its socket folder is writable by others.",
        killers=(f"{UNIT_SCRIPTS}::test_no_node_starts_while_its_socket_folder_is_writable_by_others",),
    ),
    Mistake(
        name="failed-role-statement-logged-with-its-password",
        file="db/initdb.d/10-webapp-role.sh",
        find="SET log_min_error_statement = panic;\n",
        replace="",
        claim="A CREATE ROLE that fails on the first start does not put the webapp's password in the log.",
        killers=(
            f"{CH08}::test_a_webapp_role_that_cannot_be_made_stops_the_first_start_with_why_and_no_password[taken]",
        ),
    ),
    Mistake(
        name="webapp-role-name-not-checked",
        file="db/initdb.d/10-webapp-role.sh",
        find="if [[ ! $role =~ ^[a-z_][a-z0-9_]{0,62}$ ]]; then",
        replace="if false; then",
        claim="A WEBAPP_DB_USER that is no plain role name stops the first start with a message naming it.",
        killers=(
            f"{CH08}::test_a_webapp_role_that_cannot_be_made_stops_the_first_start_with_why_and_no_password[not-a-name]",
        ),
    ),
    Mistake(
        name="dockerfile-base-image-drifts-from-images-env",
        file="Dockerfile",
        find="ARG PYTHON_IMAGE=python:3.13-slim-trixie\n",
        replace="ARG PYTHON_IMAGE=python:3.11-slim\n",
        claim="Every image name has one source, images.env; the Dockerfiles' defaults say the same.",
        killers=("tests/unit/test_image_names.py::test_the_dockerfiles_default_base_image_is_the_official_one",),
    ),
    # --- the set-up scripts ---
    # On a pristine machine: each is killed by the rehearsal (chapter 22), which a machine set
    # up by hand weeks ago cannot do.
    Mistake(
        name="browser-driver-library-not-installed",
        file="scripts/ensure-browser.sh",
        find="  driver_libraries_present || echo libatomic1\n",
        replace="",
        claim="make test installs what the browser scenario's driver needs (libatomic1), which a stock Debian lacks.",
        killers=(f"{UNIT_SCRIPTS}::test_the_browser_scenario_gets_the_library_its_driver_needs",),
    ),
    Mistake(
        name="companion-update-refused",
        file="scripts/ensure-engine.sh",
        find="    $1 == package && $2 == version { found = 1 }\n",
        replace="    $1 == package && $2 == version && 0 { found = 1 }\n",
        claim="On a stock bookworm (bookworm-security has a newer ca-certificates), make up installs the engine.",
        killers=(REHEARSE_BOOKWORM,),
    ),
    Mistake(
        name="debootstrap-not-installed",
        file="scripts/lib/debian.sh",
        find="apt_get install -y -qq debootstrap debian-archive-keyring",
        replace="apt_get install -y -qq debian-archive-keyring",
        claim="Where no registry answers, make up installs what builds the stand-in images (debootstrap).",
        killers=(REHEARSE_BOOKWORM,),
    ),
    Mistake(
        name="running-engine-version-not-checked",
        file="scripts/ensure-engine.sh",
        find="  require_new_enough_engine\n  close_container_addresses_to_the_lan\n",
        replace="  close_container_addresses_to_the_lan\n",
        claim="Where an engine older than 25 already runs, make up stops with what to do and leaves it alone.",
        killers=(REHEARSE_OLD_ENGINE,),
    ),
    Mistake(
        name="engine-used-before-its-socket-answers",
        file="scripts/ensure-engine.sh",
        find="  until engine_answers; do\n",
        replace="  until true; do\n",
        claim="The engine the set-up starts is waited for until it answers, before anything uses it.",
        killers=(REHEARSE_BOOKWORM,),
    ),
    Mistake(
        name="engine-older-than-25-accepted",
        file="scripts/ensure-engine.sh",
        find="MIN_ENGINE_MAJOR=25\n",
        replace="MIN_ENGINE_MAJOR=20\n",
        claim="An engine without start_interval (older than 25) is refused with a message that says what to do.",
        killers=(f"{UNIT_SCRIPTS}::test_an_engine_older_than_25_that_answers_is_refused_with_what_to_do",),
    ),
    Mistake(
        name="debians-old-engine-installed",
        file="scripts/ensure-engine.sh",
        find="""  if new_enough "$(candidate docker.io)"; then""",
        replace="""  if ! new_enough "$(candidate docker.io)"; then""",
        claim="Where the machine's Debian has an engine older than 25, the next suite's is installed.",
        killers=(f"{UNIT_SCRIPTS}::test_where_debian_offers_an_engine_older_than_25_the_next_suites_is_installed",),
    ),
    Mistake(
        name="debian-epoch-read-as-the-major",
        file="scripts/ensure-engine.sh",
        find="s/^[^0-9]*([0-9]+:)?([0-9]+)\\..*/\\2/p",
        replace="s/^[^0-9]*()([0-9]+)[.:].*/\\2/p",
        claim="A Debian version's epoch (5:26.1.5) is not taken for the engine's major version.",
        killers=(f"{UNIT_SCRIPTS}::test_a_debian_version_with_an_epoch_is_read_by_its_major",),
    ),
    Mistake(
        name="newer-suite-may-bring-anything",
        file="scripts/ensure-engine.sh",
        find='  [ -z "$foreign" ] ||\n',
        replace="  true ||\n",
        claim="trixie's docker.io is installed only when nothing but Docker's own packages would come from trixie.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_newer_suites_engine_is_refused_if_it_would_bring_anything_else_from_that_suite",
        ),
    ),
    Mistake(
        name="newer-suite-may-remove-packages",
        file="scripts/ensure-engine.sh",
        find='  [ -z "$removed" ] ||\n',
        replace="  true ||\n",
        claim="Installing the engine never removes a package.",
        killers=(f"{UNIT_SCRIPTS}::test_the_newer_suites_engine_is_refused_if_it_would_remove_anything",),
    ),
    Mistake(
        name="apt-errors-swallowed",
        file="scripts/ensure-engine.sh",
        find="""    printf '%s\\n' "$output" >&2\n""",
        replace="",
        claim="When apt fails, its own message reaches the user.",
        killers=(f"{UNIT_SCRIPTS}::test_when_apt_fails_its_own_message_reaches_the_user",),
    ),
    Mistake(
        name="dockerd-log-pasted-into-a-root-shell",
        file="scripts/ensure-engine.sh",
        find="""    as_root sh -c 'nohup dockerd >>"$1" 2>&1 &' start-dockerd "$DOCKERD_LOG\"""",
        replace="""    as_root sh -c "nohup dockerd >>'$DOCKERD_LOG' 2>&1 &\"""",
        claim="DOCKERD_LOG is a path, never a command run as root.",
        killers=(f"{UNIT_SCRIPTS}::test_the_dockerd_log_path_is_never_run_as_a_command",),
    ),
    Mistake(
        name="debootstrap-trusts-an-unsigned-archive",
        file="scripts/lib/debian.sh",
        find='debootstrap --variant=minbase --force-check-gpg --keyring="$DEBIAN_KEYRING" "$@"',
        replace='debootstrap --variant=minbase "$@"',
        claim="What debootstrap downloads is checked against Debian's keyring, also on a host that is not Debian.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_base_images_root_file_system_is_checked_against_debians_keyring_and_never_left_behind",
        ),
    ),
    Mistake(
        name="base-root-file-system-left-behind",
        file="scripts/ensure-images.sh",
        find="  trap \"rm -rf '$work'\" EXIT\n",
        replace="",
        claim="The stand-ins' root file system and its log are removed when debootstrap fails or is stopped.",
        killers=(
            f"{UNIT_SCRIPTS}::test_the_base_images_root_file_system_is_checked_against_debians_keyring_and_never_left_behind",
        ),
    ),
    Mistake(
        name="env-file-made-world-readable",
        file="scripts/ensure-images.sh",
        find='  chmod --reference="$env_file" "$tmp"\n',
        replace='  chmod 644 "$tmp"\n',
        claim="Writing the image names into .env keeps its mode (a private .env stays private).",
        killers=(f"{UNIT_SCRIPTS}::test_writing_env_keeps_its_mode_and_its_other_lines",),
    ),
    # --- the page as a person sees it ---
    Mistake(
        name="api-banner-never-shown",
        file="app/templates/index.html",
        find='  {% if not api.ok %}\n  <p class="banner" id="api-banner"',
        replace='  {% if false %}\n  <p class="banner" id="api-banner"',
        claim="With the api stopped, the page shows a banner saying so.",
        killers=(f"{CH12}::test_a_person_sees_the_page_a_new_row_on_reload_and_a_banner_when_the_api_stops",),
    ),
    Mistake(
        name="table-stuck-at-one-visit",
        file="app/config.py",
        find='read.integer("VISITS_PAGE_SIZE", 20,',
        replace='read.integer("VISITS_PAGE_SIZE", 1,',
        claim="Reloading the page adds the new visit to the visible table.",
        killers=(f"{CH12}::test_a_person_sees_the_page_a_new_row_on_reload_and_a_banner_when_the_api_stops",),
    ),
    # --- defaults (docs/configuration.md): each row's default changed where it is set ---
    Mistake(
        name="default-database-url-given",
        file="app/config.py",
        find='if read.environ.get("DATABASE_URL") or',
        replace='if read.environ.get("DATABASE_URL", "postgresql://postgres:postgres@db/postgres") or',
        claim="There is no default DATABASE_URL: without one, the parts (and a password) are needed.",
        killers=(
            f"{UNIT_DEFAULTS}::test_the_webapp_needs_nothing_but_a_password_and_its_database_is_named_after_its_user",
        ),
    ),
    Mistake(
        name="resolved-settings-not-logged",
        file="app/serve.py",
        find='    print("settings: "',
        replace='    print("configured: "',
        claim="At start the webapp logs one line of the settings it resolved.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="resolved-settings-show-the-password",
        file="app/config.py",
        find="render_as_string(hide_password=True)",
        replace="render_as_string(hide_password=False)",
        claim="The settings the webapp logs leave the database password out.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-page-size-5",
        file="app/config.py",
        find='read.integer("VISITS_PAGE_SIZE", 20,',
        replace='read.integer("VISITS_PAGE_SIZE", 5,',
        claim="A page shows the newest 20 visits when nothing is set.",
        killers=(f"{CH13}::test_by_default_a_page_lists_the_newest_20_visits_with_times_in_utc",),
    ),
    Mistake(
        name="default-time-zone-berlin",
        file="app/config.py",
        find='read.text("DISPLAY_TIMEZONE", "UTC")',
        replace='read.text("DISPLAY_TIMEZONE", "Europe/Berlin")',
        claim="Visit times are shown in UTC when nothing is set.",
        killers=(f"{CH13}::test_by_default_a_page_lists_the_newest_20_visits_with_times_in_utc",),
    ),
    Mistake(
        name="default-backoff-cap-30-s",
        file="app/config.py",
        find='read.number("DB_RETRY_MAX_DELAY", 2.0,',
        replace='read.number("DB_RETRY_MAX_DELAY", 30.0,',
        claim="With nothing set, a late database is reached within one 2 s step of the startup retry.",
        killers=(f"{CH09}::test_the_webapp_is_ready_within_a_backoff_step_of_the_database_and_before_any_request",),
    ),
    Mistake(
        name="default-first-retry-after-1-s",
        file="app/config.py",
        find='read.number("DB_RETRY_INITIAL_DELAY", 0.1,',
        replace='read.number("DB_RETRY_INITIAL_DELAY", 1.0,',
        claim="With nothing set, the startup retry tries again a tenth of a second after its first attempt.",
        killers=(f"{CH09}::test_the_webapp_is_ready_within_a_backoff_step_of_the_database_and_before_any_request",),
    ),
    Mistake(
        name="default-api-read-timeout-3-s",
        file="app/config.py",
        find='read.number("API_READ_TIMEOUT", 2.0,',
        replace='read.number("API_READ_TIMEOUT", 3.0,',
        claim="With nothing set, an api that never answers costs the page 2 s of reading at most.",
        killers=(f"{CH16}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[silent]",),
    ),
    Mistake(
        name="default-startup-deadline-10-s",
        file="app/config.py",
        find='read.number("DB_STARTUP_DEADLINE", 30.0,',
        replace='read.number("DB_STARTUP_DEADLINE", 10.0,',
        claim="With nothing set, the startup retry goes on for 30 s.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-statement-timeout-30-s",
        file="app/config.py",
        find='read.number("DB_STATEMENT_TIMEOUT", 5.0,',
        replace='read.number("DB_STATEMENT_TIMEOUT", 30.0,',
        claim="With nothing set, a query may run or wait for 5 s.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-three-webapp-workers",
        file="app/config.py",
        find='read.integer("WEB_CONCURRENCY", 2,',
        replace='read.integer("WEB_CONCURRENCY", 3,',
        claim="With nothing set, the webapp runs two server workers.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-eight-threads",
        file="app/config.py",
        find='read.integer("WEB_THREADS", 4,',
        replace='read.integer("WEB_THREADS", 8,',
        claim="With nothing set, each webapp worker has four request threads.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-connection-budget-900",
        file="app/config.py",
        find='read.integer("DB_MAX_CONNECTIONS", 90,',
        replace='read.integer("DB_MAX_CONNECTIONS", 900,',
        claim="With nothing set, the webapp may use 90 database connections in all.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-database-host-database",
        file="app/config.py",
        find='host=read.text("POSTGRES_HOST", "db"),',
        replace='host=read.text("POSTGRES_HOST", "database"),',
        claim='With nothing set, the webapp finds its database by the name "db".',
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-database-port-5433",
        file="app/config.py",
        find='port=read.integer("POSTGRES_PORT", 5432,',
        replace='port=read.integer("POSTGRES_PORT", 5433,',
        claim="With nothing set, the webapp reaches its database on port 5432.",
        killers=(f"{CH13}::test_a_webapp_given_only_its_credentials_runs_with_every_documented_default",),
    ),
    Mistake(
        name="default-database-user-root",
        file="app/config.py",
        find='username=read.text("POSTGRES_USER", "postgres"),',
        replace='username=read.text("POSTGRES_USER", "root"),',
        claim="With nothing set, the webapp logs in as postgres, the postgres image's default user.",
        killers=(f"{UNIT_DEFAULTS}::test_the_webapps_documented_default_is_its_default[POSTGRES_USER]",),
    ),
    Mistake(
        name="default-database-not-named-after-the-user",
        file="app/config.py",
        find='database=read.text("POSTGRES_DB", read.text("POSTGRES_USER", "postgres")),',
        replace='database=read.text("POSTGRES_DB", "postgres"),',
        claim="With no POSTGRES_DB, the database is named after the user, as the postgres image names it.",
        killers=(
            f"{UNIT_DEFAULTS}::test_the_webapp_needs_nothing_but_a_password_and_its_database_is_named_after_its_user",
        ),
    ),
    Mistake(
        name="default-database-password-postgres",
        file="app/config.py",
        find='password=read.text("POSTGRES_PASSWORD"),',
        replace='password=read.text("POSTGRES_PASSWORD", "postgres"),',
        claim="The webapp has no default password: without one it stops at start, naming it.",
        killers=(
            f"{UNIT_DEFAULTS}::test_the_webapp_needs_nothing_but_a_password_and_its_database_is_named_after_its_user",
        ),
    ),
    Mistake(
        name="default-api-workers-one",
        file="api/gunicorn_conf.py",
        find='workers = int(os.environ.get("WEB_CONCURRENCY", "2"))',
        replace='workers = int(os.environ.get("WEB_CONCURRENCY", "1"))',
        claim="With nothing set, the api runs two gunicorn workers.",
        killers=(f"{CH13}::test_an_api_given_nothing_boots_two_workers",),
    ),
    Mistake(
        name="compose-default-database-not-visits",
        file="docker-compose.yml",
        find="webapp_db_password\n      POSTGRES_DB: ${POSTGRES_DB:-visits}\n",
        replace="webapp_db_password\n      POSTGRES_DB: ${POSTGRES_DB:-tutorial}\n",
        claim="The webapp's database is visits unless POSTGRES_DB says otherwise, the same for every service.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-webapp-role-renamed",
        file="docker-compose.yml",
        find="      POSTGRES_USER: ${WEBAPP_DB_USER:-webapp}\n      POSTGRES_PASSWORD_FILE: /run/secrets/webapp",
        replace="      POSTGRES_USER: ${WEBAPP_DB_USER:-web}\n      POSTGRES_PASSWORD_FILE: /run/secrets/webapp",
        claim="The webapp's role is webapp unless WEBAPP_DB_USER says otherwise, the same for every service.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-superuser-renamed",
        file="docker-compose.yml",
        find="  POSTGRES_USER: ${POSTGRES_USER:-postgres}\n",
        replace="  POSTGRES_USER: ${POSTGRES_USER:-admin}\n",
        claim="The database's superuser is postgres unless POSTGRES_USER says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-webapp-image-latest",
        file="docker-compose.yml",
        find="    image: &webapp-image ${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:dev}\n",
        replace="    image: &webapp-image ${WEBAPP_IMAGE:-docker-tutorial.invalid/webapp:latest}\n",
        claim="The webapp's image is docker-tutorial.invalid/webapp:dev unless WEBAPP_IMAGE says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-api-image-latest",
        file="docker-compose.yml",
        find="    image: ${API_IMAGE:-docker-tutorial.invalid/api:dev}\n",
        replace="    image: ${API_IMAGE:-docker-tutorial.invalid/api:latest}\n",
        claim="The api's image is docker-tutorial.invalid/api:dev unless API_IMAGE says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-python-image-drifts",
        file="docker-compose.yml",
        find="      context: .\n      args:\n        PYTHON_IMAGE: ${PYTHON_IMAGE:-python:3.13-slim-trixie}\n",
        replace="      context: .\n      args:\n        PYTHON_IMAGE: ${PYTHON_IMAGE:-python:3.12-slim}\n",
        claim="Both Python images build on python:3.13-slim-trixie unless PYTHON_IMAGE says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="compose-default-postgres-image-drifts",
        file="docker-compose.yml",
        find="    image: ${POSTGRES_IMAGE:-postgres:17-trixie}\n",
        replace="    image: ${POSTGRES_IMAGE:-postgres:16}\n",
        claim="The database is postgres:17-trixie unless POSTGRES_IMAGE says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="stack-default-proxy-port-80",
        file="swarm/stack.yml",
        find="published: ${PROXY_PORT:-8080}",
        replace="published: ${PROXY_PORT:-80}",
        claim="The Swarm stack's proxy is published on 8080 unless PROXY_PORT says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    Mistake(
        name="stack-default-nginx-image-drifts",
        file="swarm/stack.yml",
        find="${NGINX_IMAGE:-nginx:1.30-alpine}",
        replace="${NGINX_IMAGE:-nginx:latest}",
        claim="The Swarm stack's proxy is nginx:1.30-alpine unless NGINX_IMAGE says otherwise.",
        killers=(f"{UNIT_DEFAULTS}::test_every_compose_default_is_the_documented_one_wherever_it_is_written",),
    ),
    # --- the Swarm stack (swarm/): replicas, the proxy, rolling updates ---
    Mistake(
        name="stack-proxy-logs-without-bound",
        file="swarm/stack.yml",
        find="    image: ${NGINX_IMAGE:-nginx:1.30-alpine}\n    logging: *bounded-log\n",
        replace="    image: ${NGINX_IMAGE:-nginx:1.30-alpine}\n",
        claim="In the Swarm stack too, every service's log is bounded (the proxy, exposed beyond the machine, first).",
        killers=(f"{CH18}::test_every_service_of_the_stack_keeps_a_bounded_log",),
    ),
    Mistake(
        name="stack-proxy-shows-its-version",
        file="swarm/nginx.conf",
        find="        server_tokens off;\n",
        replace="",
        claim="The proxy's answers name no version of nginx.",
        killers=(f"{CH17}::test_answers_name_no_nginx_version_and_no_address_inside",),
    ),
    Mistake(
        name="stack-proxy-names-the-serving-task",
        file="swarm/nginx.conf",
        find="            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n",
        replace="            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "            add_header X-Upstream $upstream_addr always;\n",
        claim="No header of the proxy's answers names the address of the task that served them.",
        killers=(f"{CH17}::test_answers_name_no_nginx_version_and_no_address_inside",),
    ),
    Mistake(
        name="stack-proxy-passes-the-clients-request-id",
        file="swarm/nginx.conf",
        find="            proxy_set_header X-Request-Id $request_id;\n",
        replace="",
        claim="Every request reaches the webapp with an id the proxy gave it; a client's own is replaced.",
        killers=(f"{CH17}::test_each_request_gets_an_id_of_the_proxys_own",),
    ),
    Mistake(
        name="stack-proxy-waits-a-minute-for-slow-clients",
        file="swarm/nginx.conf",
        find="        client_header_timeout 10s;\n        client_body_timeout 10s;\n",
        replace="        client_header_timeout 60s;\n        client_body_timeout 60s;\n",
        claim="The proxy drops a client that sends nothing for 10 s, in its headers or its body.",
        killers=(f"{CH17}::test_slow_clients_are_dropped_and_one_client_holds_at_most_64_requests",),
    ),
    Mistake(
        name="stack-proxy-no-connection-bound-per-client",
        file="swarm/nginx.conf",
        find="        limit_conn connections_per_client 256;\n",
        replace="",
        claim="One client address holds at most 256 connections, sent a request or not: the rest are closed at once.",
        killers=(f"{CH17}::test_a_thousand_connections_from_one_address_leave_the_page_to_everyone_else",),
    ),
    Mistake(
        name="stack-proxy-takes-the-hand-over-for-the-client",
        file="swarm/nginx.conf",
        find="    real_ip_header proxy_protocol;\n",
        replace="",
        claim="Behind its TCP layer, the proxy still knows each client's address and tells the webapp.",
        killers=(f"{CH17}::test_a_thousand_connections_from_one_address_leave_the_page_to_everyone_else",),
    ),
    Mistake(
        name="stack-proxy-no-limit-per-client",
        file="swarm/nginx.conf",
        find="        limit_conn per_client 64;\n",
        replace="",
        claim="One client holds at most 64 requests at the proxy: the next is refused with 429.",
        killers=(f"{CH17}::test_slow_clients_are_dropped_and_one_client_holds_at_most_64_requests",),
    ),
    Mistake(
        name="stack-database-processes-unbounded",
        file="swarm/stack.yml",
        find="          memory: 512M\n          pids: 256\n",
        replace="          memory: 512M\n",
        claim="The stack's database has its number of processes bounded, as in Compose.",
        killers=(
            f"{CH18}::test_every_service_of_the_stack_drops_every_capability_and_is_bounded_in_memory_and_processes",
        ),
    ),
    Mistake(
        name="stack-migrations-job-unbounded",
        file="swarm/stack.yml",
        find=(
            "        max_attempts: 5\n      resources:\n        limits:\n          memory: 256M\n          pids: 128\n"
        ),
        replace="        max_attempts: 5\n",
        claim="The stack's migrations job has its memory and processes bounded, as in Compose.",
        killers=(
            f"{CH18}::test_every_service_of_the_stack_drops_every_capability_and_is_bounded_in_memory_and_processes",
        ),
    ),
    Mistake(
        name="stack-proxy-root-writable",
        file="swarm/stack.yml",
        find="    read_only: true\n    cap_drop:\n      - ALL\n    cap_add:\n      - CHOWN\n      - SETGID\n",
        replace="    cap_drop:\n      - ALL\n    cap_add:\n      - CHOWN\n      - SETGID\n",
        claim="The stack's proxy runs with a read-only root, its capabilities dropped but three, bounded.",
        killers=(f"{CH18}::test_the_proxy_is_as_hard_as_the_services_behind_it",),
    ),
    Mistake(
        name="stack-api-on-the-databases-network",
        file="swarm/stack.yml",
        find="    # Not on the database's network: it never needs the database, so it cannot reach it.\n"
        "    networks:\n      - frontend\n",
        replace="    networks:\n      - frontend\n      - backend\n",
        claim="In the Swarm stack too, the api cannot reach the database.",
        killers=(f"{CH18}::test_the_api_cannot_reach_the_database_in_the_stack_either",),
    ),
    Mistake(
        name="stack-runs-one-webapp",
        file="swarm/stack.yml",
        find="      replicas: 3\n",
        replace="      replicas: 1\n",
        claim="In the stack, requests are spread over several webapp replicas.",
        killers=(f"{CH18}::test_requests_through_the_published_port_are_served_by_more_than_one_webapp_replica",),
    ),
    Mistake(
        name="stack-database-without-the-webapp-role",
        file="swarm/stack.yml",
        find="    configs:\n      # A config, not a bind mount",
        replace="    x-configs:\n      # A config, not a bind mount",
        claim="In the stack the database makes the webapp's role at its first start, so every visit is recorded.",
        killers=(f"{CH18}::test_every_visit_lands_in_the_one_database",),
    ),
    Mistake(
        name="rolling-update-stops-before-it-starts",
        file="swarm/stack.yml",
        find="        order: start-first\n        parallelism: 1\n        delay: 1s",
        replace="        order: stop-first\n        parallelism: 1\n        delay: 1s",
        claim="A rolling update starts each new webapp task before it stops an old one: never fewer than 3 serve.",
        killers=(f"{CH18}::test_a_rolling_update_under_load_answers_every_request",),
    ),
    Mistake(
        name="proxy-resolves-the-webapp-once",
        file="swarm/nginx.conf",
        find="            set $webapp webapp:5000;\n            proxy_pass http://$webapp;\n",
        replace="            proxy_pass http://webapp:5000;\n",
        claim="The proxy follows the webapp's tasks as they come and go: it resolves the service per request.",
        killers=(
            f"{CH18}::test_scaling_the_webapp_from_3_to_5_and_back_keeps_serving",
            f"{CH18}::test_a_rolling_update_under_load_answers_every_request",
        ),
    ),
    Mistake(
        name="proxy-never-retries-another-replica",
        file="swarm/nginx.conf",
        find="            proxy_next_upstream error timeout;\n",
        replace="            proxy_next_upstream off;\n",
        claim="A request whose webapp task is killed or going away is retried on another: none fails.",
        killers=(f"{CH18}::test_a_killed_webapp_replica_is_replaced_and_no_request_fails",),
    ),
    # --- the stack on three nodes (scripts/cluster.sh, swarm/three-nodes.yml) ---
    # A mistake's killers run in the order named here (pytest keeps it): the one that fails
    # soonest first (the spread's checks come right after the cluster is up).
    Mistake(
        name="cluster-webapp-pinned-to-one-node",
        file="swarm/three-nodes.yml",
        find="        preferences:\n          - spread: node.labels.zone\n\n  api:",
        replace="        constraints:\n          - node.labels.edge == true\n\n  api:",
        claim="On three nodes the webapp's replicas run on every node, not all on one.",
        killers=(CLUSTER_SPREAD,),
    ),
    Mistake(
        name="cluster-database-not-pinned",
        file="swarm/three-nodes.yml",
        find="        constraints:\n          - node.labels.db == true\n",
        replace="        constraints: []\n",
        claim="The database runs only on the node with its volume: that node lost, it waits, never starts empty.",
        killers=(CLUSTER_SPREAD, CLUSTER_DB_NODE_KILLED),
    ),
    Mistake(
        name="cluster-nodes-do-not-trust-the-registry",
        file="scripts/cluster.sh",
        find='    -e TRUSTED_REGISTRY="$REGISTRY" \\\n',
        replace="",
        claim="Every node trusts the cluster's registry: the stack's images reach every node through it.",
        killers=(CLUSTER_SPREAD,),
    ),
    Mistake(
        name="migrate-image-asked-of-a-registry",
        file="docker-compose.yml",
        find="    pull_policy: never\n",
        replace="",
        claim="`make up` asks no registry for an image it builds, the migrations' service's included.",
        killers=(
            "tests/containers/test_06_compose_basics.py::test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing",
        ),
    ),
    Mistake(
        name="compose-from-another-publisher-on-debian",
        file="scripts/ensure-engine.sh",
        find="  if is_debian && command -v apt-get >/dev/null; then\n",
        replace="  if false; then\n",
        claim="On Debian, the Compose plugin is Debian's package, signed by Debian's archive keys as the engine is.",
        killers=("tests/unit/test_scripts.py::test_compose_comes_from_debian_where_this_is_debian",),
    ),
    Mistake(
        name="engine-choice-tied-to-compose",
        file="scripts/ensure-engine.sh",
        find='  if new_enough "$(candidate docker.io)"; then\n',
        replace='  if new_enough "$(candidate docker.io)" && own_compose_is_v2; then\n',
        claim="A suite whose engine is new enough gives its own engine, whatever its Compose (Ubuntu's is v1).",
        killers=(f"{UNIT_SCRIPTS}::test_a_suite_with_a_new_engine_and_compose_v1_installs_its_own_engine_alone",),
    ),
    Mistake(
        name="compose-v1-of-bookworm-installed",
        file="scripts/ensure-engine.sh",
        find='own_compose_is_v2() { [ "$(major_version "$(candidate docker-compose)")" -ge 2 ]; }',
        replace='own_compose_is_v2() { [ "$(major_version "$(candidate docker-compose)")" -ge 1 ]; }',
        claim="Where the machine's own docker-compose is Compose v1 (bookworm), the newer suite's v2 is installed.",
        killers=("tests/unit/test_scripts.py::test_compose_comes_from_debian_where_this_is_debian",),
    ),
    Mistake(
        name="buildx-left-out-of-the-newer-suites-install",
        file="scripts/ensure-engine.sh",
        find="    install_from_newer_suite docker.io docker-cli docker-compose docker-buildx\n",
        replace="    install_from_newer_suite docker.io docker-cli docker-compose\n",
        claim="On bookworm, buildx comes with the newer suite's engine and Compose, so builds use BuildKit.",
        killers=(
            "tests/unit/test_scripts.py::test_where_debian_offers_an_engine_older_than_25_the_next_suites_is_installed",
        ),
    ),
    Mistake(
        name="debians-buildx-beside-a-compose-of-another-publisher",
        file="scripts/ensure-engine.sh",
        find="  if ! compose_is_debians; then\n",
        replace="  if ! is_debian; then\n",
        claim=(
            "Debian's buildx is installed beside Debian's Compose only: "
            "a Compose of another publisher keeps its builds."
        ),
        killers=("tests/unit/test_scripts.py::test_buildx_comes_from_debian_beside_debians_compose_only",),
    ),
    Mistake(
        name="rehearsal-deaf-to-deprecations",
        file="scripts/rehearse.sh",
        find="UNWELCOME='\\b(error|errors|warning|warnings|warn|deprecated)\\b'\n",
        replace="UNWELCOME='\\b(error|errors)\\b'\n",
        claim="The rehearsal fails on a warning or a deprecation a newcomer's make up or make test printed.",
        killers=(
            "tests/unit/test_scripts.py::"
            "test_the_rehearsal_names_every_error_warning_and_deprecation_a_command_that_worked_printed",
        ),
    ),
    Mistake(
        name="update-upgrades-the-machines-other-packages",
        file="scripts/update.sh",
        find='    --no-remove "${apt[@]}" "${newer[@]}" "${own[@]}" >/dev/null\n',
        replace='    --no-remove "${apt[@]}" "${newer[@]}" "${own[@]}" "${ENGINE_COMPANIONS[@]}" >/dev/null\n',
        claim="make update upgrades Docker's packages and no other package of the machine.",
        killers=(
            "tests/unit/test_update.py::test_make_update_upgrades_dockers_packages_each_from_its_suite_and_nothing_else",
        ),
    ),
    Mistake(
        name="update-takes-the-own-suites-packages-from-the-newer-suite",
        file="scripts/update.sh",
        find='  [ -z "$own" ] || dpkg --compare-versions "$2" gt "$own"\n',
        replace='  [ -z "$own" ] || dpkg --compare-versions "$2" ge "$own"\n',
        claim=(
            "A Docker package of the machine's own suite (bookworm's runc) is updated from that suite, "
            "never the newer one."
        ),
        killers=(
            "tests/unit/test_update.py::test_a_docker_package_newer_than_any_the_machines_own_suites_offer_came_from_the_newer_suite",
        ),
    ),
    Mistake(
        name="newer-suite-read-without-its-security-updates",
        file="scripts/ensure-engine.sh",
        find='    echo "deb ${mirror%/}-security $NEWER_DEBIAN_SUITE-security main"\n',
        replace="",
        claim="The engine of the newer suite is installed and updated with that suite's security updates.",
        killers=(
            "tests/unit/test_update.py::test_the_newer_suite_is_read_with_its_updates_and_security_updates_and_gives_only_what_is_named",
        ),
    ),
    Mistake(
        name="newer-suite-pinned-level-with-the-machines-own",
        file="scripts/ensure-engine.sh",
        find="    printf '\\nPackage: *\\nPin: release n=%s\\nPin-Priority: 100\\n' \"$suite\"\n",
        replace="    printf '\\nPackage: *\\nPin: release n=%s\\nPin-Priority: 500\\n' \"$suite\"\n",
        claim="The newer suite gives only the packages named, and what the machine's own suite cannot satisfy.",
        killers=(
            "tests/unit/test_update.py::test_the_newer_suite_is_read_with_its_updates_and_security_updates_and_gives_only_what_is_named",
        ),
    ),
    Mistake(
        name="stand-ins-never-refreshed",
        file="scripts/ensure-images.sh",
        find="  refreshing || return 1\n",
        replace="  return 1\n",
        claim="make update rebuilds a stand-in where Debian's archive has newer versions of packages in it.",
        killers=(
            "tests/unit/test_update.py::test_a_stand_in_is_rebuilt_by_make_update_where_debian_has_newer_packages_in_it",
        ),
    ),
    Mistake(
        name="outdated-stand-in-rebuilt-from-the-cache",
        file="scripts/ensure-images.sh",
        find="    fresh=(--no-cache)\n",
        replace="    fresh=()\n",
        claim="A stand-in make update rebuilds for a newer package is built anew, not given back from the cache.",
        killers=("tests/unit/test_update.py::test_an_outdated_stand_in_is_built_again_without_the_cache",),
    ),
    Mistake(
        name="load-left-running-after-its-scenario",
        file="tests/support/load.py",
        find="    ) -> None:\n        self.stop()\n",
        replace="    ) -> None:\n        pass\n",
        claim="A scenario's load stops when the scenario's body ends, however it ends.",
        killers=(
            "tests/unit/test_load.py::test_the_load_serves_before_and_after_the_body_and_stops_with_it",
            "tests/unit/test_load.py::test_the_load_stops_when_the_body_fails",
        ),
    ),
    Mistake(
        name="replica-watch-gives-the-most-it-saw",
        file="tests/support/replicas.py",
        find="        return min(self.counts)\n",
        replace="        return max(self.counts)\n",
        claim="The Swarm chapters' replica watch gives the fewest replicas it counted while the scenario acted.",
        killers=(
            "tests/unit/test_replicas.py::test_the_watch_gives_the_fewest_replicas_it_counted_and_skips_a_count_that_failed",
        ),
    ),
    Mistake(
        name="replica-watch-stopped-by-a-manager-slow-to-answer",
        file="tests/support/replicas.py",
        find="            except self._transient:\n",
        replace="            except ():\n",
        claim="A count that fails because an engine or a manager is slow to answer costs the watch one sample.",
        killers=(
            "tests/unit/test_replicas.py::test_the_watch_gives_the_fewest_replicas_it_counted_and_skips_a_count_that_failed",
        ),
    ),
    Mistake(
        name="replica-watch-cut-short-still-gives-its-fewest",
        file="tests/support/replicas.py",
        find="        if self._failure is not None:\n",
        replace="        if False:\n",
        claim="A replica watch ended early by a failed count gives no fewest (it saw a part of the scenario only).",
        killers=("tests/unit/test_replicas.py::test_a_watch_ended_by_an_unexpected_failure_gives_no_fewest",),
    ),
    Mistake(
        name="junit-the-last-case-stands",
        file="tests/support/junit.py",
        find="        if current is None or RANK[case.outcome] > RANK[current]:\n",
        replace="        if True:\n",
        claim="Where a report names a test twice or its cases are folded together, the worst outcome stands.",
        killers=(
            "tests/unit/test_junit.py::test_a_scenario_with_a_case_skipped_and_one_failed_is_failed_in_the_specification",
        ),
    ),
    Mistake(
        name="junit-a-skip-outweighs-a-failure",
        file="tests/support/junit.py",
        find="RANK = {PASSED: 0, SKIPPED: 1, FAILED: 2}\n",
        replace="RANK = {PASSED: 0, SKIPPED: 2, FAILED: 1}\n",
        claim="A scenario with one case failed is failed, whatever its other cases did.",
        killers=(
            "tests/unit/test_junit.py::test_a_scenario_with_a_case_skipped_and_one_failed_is_failed_in_the_specification",
        ),
    ),
    Mistake(
        name="moved-image-name-used-as-it-is-now",
        file="scripts/lib/image-lock.sh",
        find='  [ "$id" = "$locked" ] ||\n    die ',
        replace='  [ "$id" = "$locked" ] ||\n    say ',
        claim="A base image's name moved outside the project since it was locked stops the set-up.",
        killers=(
            "tests/unit/test_image_lock.py::test_a_name_moved_outside_the_project_stops_the_set_up_and_says_how_to_go_on",
        ),
    ),
    Mistake(
        name="make-update-keeps-the-old-image-lock",
        file="scripts/ensure-images.sh",
        find='    if refreshing || [ "$made" = 1 ]; then',
        replace='    if [ "$made" = 1 ]; then',
        claim="make update moves images.lock to what the base images' names mean now.",
        killers=(
            "tests/unit/test_image_lock.py::test_an_image_the_set_up_builds_or_make_update_refreshes_moves_the_lock",
        ),
    ),
    Mistake(
        name="an-image-built-here-checked-against-its-old-lock",
        file="scripts/ensure-images.sh",
        find='made_here() { MADE_HERE+=("$1"); }',
        replace="made_here() { :; }",
        claim="A base image the set-up pulls or builds is locked at what it is now.",
        killers=(
            "tests/unit/test_image_lock.py::test_an_image_the_set_up_builds_or_make_update_refreshes_moves_the_lock",
        ),
    ),
    Mistake(
        name="registry-digest-left-out-of-the-image-lock",
        file="scripts/lib/image-lock.sh",
        find='  digest=$(registry_digest "$name") || digest=\n',
        replace="  digest=\n",
        claim="images.lock records the digest a registry served an image under.",
        killers=(
            "tests/unit/test_image_lock.py::test_an_image_is_locked_at_its_id_and_the_digest_a_registry_served_it_under",
        ),
    ),
    Mistake(
        name="locked-image-pulled-again-by-its-name",
        file="scripts/ensure-images.sh",
        find='  digest=$(locked_digest "$1")\n',
        replace="  digest=\n",
        claim="A locked image gone from the engine is pulled again by the digest the lock holds, not by its name.",
        killers=(
            "tests/unit/test_image_lock.py::test_a_locked_image_gone_from_the_engine_comes_back_by_its_locked_digest",
        ),
    ),
    Mistake(
        name="stack-runs-an-image-the-lock-does-not-hold-by-name",
        file="scripts/lib/image-lock.sh",
        find="""  [ -n "$id" ] || id=$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null) || id=\n""",
        replace="",
        claim="A base image the lock holds no line for is still deployed in the stack by its id.",
        killers=(
            "tests/unit/test_image_lock.py::test_a_name_the_lock_does_not_hold_is_deployed_by_the_engines_id_for_it",
        ),
    ),
    Mistake(
        name="image-lock-kept-in-each-checkout",
        file="scripts/lib/image-lock.sh",
        find="${XDG_STATE_HOME:-$HOME/.local/state}/docker-tutorial/images.lock}",
        replace="$PWD/images.lock}",
        claim="The base images' lock is the user's, shared by every checkout of the project on the machine.",
        killers=("tests/unit/test_image_lock.py::test_the_lock_is_the_users_one_for_every_checkout_of_the_project",),
    ),
    Mistake(
        name="stack-runs-the-database-by-its-name",
        file="scripts/stack.sh",
        find='POSTGRES_IMAGE=$(pinned "$POSTGRES_IMAGE")',
        replace="POSTGRES_IMAGE=$POSTGRES_IMAGE",
        claim="The Swarm stack runs the base images by the ids images.lock holds.",
        killers=("tests/unit/test_image_lock.py::test_the_stack_runs_the_locked_base_images_by_id",),
    ),
    Mistake(
        name="stand-in-base-keeps-debootstraps-sources",
        file="scripts/ensure-images.sh",
        find='  rm -f "$work/rootfs/etc/apt/sources.list"\n',
        replace="",
        claim="The stand-ins' Debian reads its suite's security updates (a stock machine's sources).",
        killers=(
            "tests/unit/test_scripts.py::test_the_stand_ins_debian_has_a_stock_machines_sources_and_its_security_updates",
        ),
    ),
    Mistake(
        name="stand-in-base-not-upgraded",
        file="scripts/ensure-images.sh",
        find="RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -q upgrade >/dev/null \\\\\n",
        replace="RUN apt-get update -qq \\\\\n",
        claim=(
            "The stand-ins' Debian has its suite's updates and security updates on top of what debootstrap installed."
        ),
        killers=(
            "tests/unit/test_scripts.py::test_the_stand_ins_debian_has_a_stock_machines_sources_and_its_security_updates",
        ),
    ),
    Mistake(
        name="stand-in-named-in-docker-hubs-namespace",
        file="images.env",
        find="OFFLINE_NGINX_IMAGE=docker-tutorial.invalid/offline-nginx:trixie\n",
        replace="OFFLINE_NGINX_IMAGE=offline/nginx:trixie\n",
        claim="No image the project makes has a name a public registry could serve (a Swarm node pulls by name).",
        killers=(f"{IMAGE_NAMES_TESTS}::test_every_image_name_the_project_makes_is_under_a_registry_no_one_reaches",),
    ),
    Mistake(
        name="benchmark-images-named-by-compose",
        file="bench/tutorial/docker-compose.yml",
        find="    image: docker-tutorial.invalid/bench-tutorial-webapp:bench\n",
        replace="",
        claim="No image the project makes has a name a public registry could serve (a Swarm node pulls by name).",
        killers=(f"{IMAGE_NAMES_TESTS}::test_every_image_name_the_project_makes_is_under_a_registry_no_one_reaches",),
    ),
    Mistake(
        name="cluster-images-named-in-docker-hubs-namespace",
        file="scripts/cluster.sh",
        find='-t "docker-tutorial.invalid/cluster-$image:dev"',
        replace='-t "docker-tutorial/cluster-$image:dev"',
        claim="No image the project makes has a name a public registry could serve (a Swarm node pulls by name).",
        killers=(f"{IMAGE_NAMES_TESTS}::test_every_image_name_the_project_makes_is_under_a_registry_no_one_reaches",),
    ),
    Mistake(
        name="cluster-images-pulled-by-tag",
        file="scripts/cluster.sh",
        find='    PINNED[$image]="$REGISTRY/$image@$digest"\n',
        replace='    PINNED[$image]="$REGISTRY/$image"\n',
        claim="The stack names the cluster's images by digest: an image pushed under the same tag never runs.",
        killers=(CLUSTER_ROLLING_UPDATE,),
    ),
    Mistake(
        name="cluster-two-managers",
        file="scripts/cluster.sh",
        find="MANAGERS=(node1 node2 node3)\n",
        replace="MANAGERS=(node1 node3)\n",
        claim="All three nodes are managers: when the leader is lost, the two others elect a new one.",
        killers=(CLUSTER_SPREAD, CLUSTER_LEADER_KILLED),
    ),
    # The mistake of chapter 18's rolling update, here against the update across three nodes: one
    # session runs the killers of a mistake, and the two chapters run in sessions of their own.
    Mistake(
        name="cluster-rolling-update-stops-before-it-starts",
        file="swarm/stack.yml",
        find="        order: start-first\n        parallelism: 1\n        delay: 1s",
        replace="        order: stop-first\n        parallelism: 1\n        delay: 1s",
        claim="Across three nodes too, a rolling update starts each new webapp task before it stops an old one.",
        killers=(CLUSTER_ROLLING_UPDATE,),
    ),
    Mistake(
        name="cluster-one-webapp-per-node-at-most",
        file="swarm/three-nodes.yml",
        find="        preferences:\n          - spread: node.labels.zone\n\n  api:",
        replace=(
            "        max_replicas_per_node: 1\n        preferences:\n          - spread: node.labels.zone\n\n  api:"
        ),
        claim="A drained node's webapp replicas start on the other nodes, however many already run there.",
        killers=(CLUSTER_DRAIN,),
    ),
    Mistake(
        name="cluster-webapp-never-replaced",
        file="swarm/stack.yml",
        find="      replicas: 3\n      endpoint_mode: dnsrr\n",
        replace="      replicas: 3\n      endpoint_mode: dnsrr\n      restart_policy:\n        condition: none\n",
        claim="A dead node's webapp replicas are started on the other nodes: the service runs 3 again.",
        killers=(CLUSTER_NODE_KILLED,),
    ),
    Mistake(
        name="suite-leaves-a-swarm-it-did-not-make",
        file="tests/support/swarm.py",
        find="            ours = state.made and state.made == _swarm_id(client)\n",
        replace="            ours = True\n",
        claim="The Swarm chapter leaves an engine that was already in a swarm in it.",
        killers=(f"{UNIT_SWARM}::test_an_engine_already_in_a_swarm_is_left_in_it",),
    ),
    Mistake(
        name="swarm-session-waits-for-the-rehearsal-inside-its-first-scenario",
        file="tests/containers/conftest.py",
        find='not any(item.get_closest_marker("swarm") for item in session.items)',
        replace='not any(item.get_closest_marker("cluster") for item in session.items)',
        claim=(
            "The Swarm chapter's session waits for a rehearsal beside it before its first scenario, "
            "outside any scenario's timeout."
        ),
        killers=(
            f"{UNIT_SWARM}::test_a_swarm_session_waits_for_the_rehearsal_before_its_first_scenario_not_inside_it",
        ),
    ),
    # --- the docs say what the code does (tests/unit/test_docs_agree_with_the_code.py) ---
    Mistake(
        name="lint-skips-the-three-nodes-placement",
        file="scripts/lint.sh",
        find="run stack_config swarm/stack.yml swarm/three-nodes.yml\n",
        replace="",
        claim="make lint checks every Compose and stack file a command uses (docs/gate.md says so).",
        killers=(f"{UNIT_DOCS}::test_lint_checks_every_compose_and_stack_file",),
    ),
    Mistake(
        name="make-logs-without-help",
        file="Makefile",
        find="logs: ## follow the services' output (docker compose logs --follow)\n",
        replace="logs:\n",
        claim="Every make target the docs name exists and says in `make help` what it does.",
        killers=(f"{UNIT_DOCS}::test_every_make_target_the_docs_name_exists_and_says_what_it_does",),
    ),
    Mistake(
        name="make-test-runs-the-swarm-chapter-before-the-three-nodes",
        file="Makefile",
        find=(
            "\t$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m cluster --junitxml=reports/junit-cluster.xml)\n"
            "\t$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m swarm --junitxml=reports/junit-swarm.xml)\n"
        ),
        replace=(
            "\t$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m swarm --junitxml=reports/junit-swarm.xml)\n"
            "\t$(if $(PYTEST_ARGS),,$(VENV)/bin/python -m pytest -m cluster --junitxml=reports/junit-cluster.xml)\n"
        ),
        claim=(
            "`make test` runs the three-node chapter before the Swarm chapter (which waits for a rehearsal "
            "beside it), as the README says."
        ),
        killers=(f"{UNIT_DOCS}::test_the_readme_tells_the_sessions_of_make_test_in_the_makefiles_order",),
    ),
    Mistake(
        name="a-chapter-in-no-part",
        file="tests/tools/specification.py",
        find='    ("Part II. Running it for real", range(13, 18)),\n',
        replace='    ("Part II. Running it for real", range(14, 18)),\n',
        claim="Every chapter is in one part of the specification, and the parts follow each other.",
        killers=(f"{UNIT_SPEC}::test_the_chapters_are_numbered_in_reading_order_each_in_one_part",),
    ),
    Mistake(
        name="readme-parts-disagree-with-the-specification",
        file="README.md",
        find="III, beyond one host (18–19)",
        replace="III, beyond one host (17–19)",
        claim="The README gives each part the chapters the specification puts in it.",
        killers=(f"{UNIT_DOCS}::test_the_readme_gives_each_part_the_chapters_the_specification_puts_in_it",),
    ),
    Mistake(
        name="env-file-sets-any-name",
        file="scripts/lib/dotenv.sh",
        find='      [ "$name" = "$wanted" ] || continue\n',
        replace="",
        claim="Only the names a script asks for are read from .env or images.env (not BASH_ENV, not a subscript).",
        killers=(f"{UNIT_SCRIPTS}::test_a_hostile_env_file_is_read_as_data",),
    ),
    Mistake(
        name="env-file-value-evaluated",
        file="scripts/lib/dotenv.sh",
        find="""      printf -v "$name" '%s' "${line#*=}"\n""",
        replace="""      eval "$name=${line#*=}"\n""",
        claim="A value in .env or images.env is taken as written, never run.",
        killers=(f"{UNIT_SCRIPTS}::test_a_hostile_env_file_is_read_as_data",),
    ),
    Mistake(
        name="images-env-read-by-a-reader-of-its-own",
        file="scripts/ensure-images.sh",
        find='  read_env_file "$root/images.env" "${IMAGE_NAMES[@]}"\n',
        replace="""  local line name
  while IFS= read -r line; do
    name=${line%%=*}
    [ -n "${!name:-}" ] || printf -v "$name" '%s' "${line#*=}"
  done <"$root/images.env"
""",
        claim="images.env is read by the same data-only reader as .env.",
        killers=(f"{UNIT_SCRIPTS}::test_a_hostile_env_file_is_read_as_data[images.env]",),
    ),
    Mistake(
        name="gate-runs-its-mistakes-other-than-the-page-says",
        file=".ci/run",
        find='make mutate MUTATE_ARGS="--jobs 2" FRESH=',
        replace='make mutate MUTATE_ARGS="--jobs 3" FRESH=',
        claim="docs/gate.md names each stage of .ci/run as .ci/run runs it, arguments included.",
        killers=(f"{UNIT_DOCS}::test_the_gate_page_names_each_stage_as_ci_runs_it",),
    ),
    Mistake(
        name="webapp-may-take-advisory-locks",
        file="app/privileges.py",
        find="""    " AND (proname ~ '^pg_(try_)?advisory_(xact_)?lock(_shared)?$'"\n""",
        replace="""    " AND (false"\n""",
        claim="The webapp's role may take no advisory lock, so not the one the migrations take turns on.",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="webapp-may-make-large-objects",
        file="app/privileges.py",
        find="""    " OR proname IN ('lo_creat', 'lo_create', 'lo_from_bytea'))"\n""",
        replace="""    ")"\n""",
        claim="The webapp's role may make no large object (storage outside any table).",
        killers=(
            f"{CH14}::test_migrate_runs_to_completion_before_the_webapp_starts_and_leaves_it_only_what_a_page_needs",
        ),
    ),
    Mistake(
        name="webapp-role-keeps-its-attributes",
        file="app/privileges.py",
        find=" for name in _PLAIN_ROLE)] if any(has) else []\n",
        replace=" for name in _PLAIN_ROLE)] if False else []\n",
        claim="Each migrate run takes SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION from the webapp's role.",
        killers=(f"{CH14}::test_each_migrate_run_leaves_the_webapps_role_a_plain_role_in_no_other_role",),
    ),
    Mistake(
        name="webapp-role-keeps-its-memberships",
        file="app/privileges.py",
        find='    for granted, grantor in connection.execute(_MEMBERSHIPS, {"role": role}).all():\n',
        replace="    for granted, grantor in ():\n",
        claim="Each migrate run takes the webapp's role out of every other role (those that run programs too).",
        killers=(f"{CH14}::test_each_migrate_run_leaves_the_webapps_role_a_plain_role_in_no_other_role",),
    ),
    Mistake(
        name="webapp-role-made-plain-in-silence",
        file="app/privileges.py",
        find=(
            '        log.warning("the webapp\'s role %s had more than a page needs: %s", role, "; ".join(statements))\n'
        ),
        replace="        pass\n",
        claim="A migrate run that takes rights from the webapp's role says so in its log.",
        killers=(f"{CH14}::test_each_migrate_run_leaves_the_webapps_role_a_plain_role_in_no_other_role",),
    ),
    Mistake(
        name="gate-runs-a-scenario-that-is-not-there",
        file=".ci/run",
        find="tests/containers/test_08_database.py::test_each_visit_is_a_row_listed_newest_first\n",
        replace="tests/containers/test_08_database.py::test_each_visit_is_a_row\n",
        claim="What docs/gate.md says tox runs on every Python is what .ci/run runs, and each exists.",
        killers=(f"{UNIT_DOCS}::test_what_the_gate_runs_on_every_python_exists_and_the_gate_page_names_its_chapters",),
    ),
    # --- the suite's own promise: a test run leaves nothing behind ---
    Mistake(
        name="sweep-keeps-anonymous-volumes",
        file="tests/support/cleanup.py",
        find="client.containers.get(name).remove(force=True, v=True)",
        replace="client.containers.get(name).remove(force=True, v=False)",
        claim="A failed scenario's containers are removed with their anonymous volumes at session end.",
        killers=(f"{CH20}::test_a_failed_scenario_leaves_nothing_behind",),
    ),
    # --- make clean-engine: only what sessions that no longer run left ---
    Mistake(
        name="clean-engine-removes-what-running-sessions-use",
        file="tests/support/cleanup.py",
        find="        return session not in running\n",
        replace="        return True\n",
        claim="`make clean-engine` leaves what a running session uses.",
        killers=(f"{UNIT_CLEANUP}::test_only_what_a_session_that_no_longer_runs_left_is_orphaned",),
    ),
    Mistake(
        name="any-name-starting-tut-taken-for-a-sessions",
        file="tests/support/marks.py",
        find='SESSION_NAME = re.compile(rf"{NAME_STEM}(?P<session>[0-9a-f]{{10}})")',
        replace='SESSION_NAME = re.compile(rf"{NAME_STEM}(?P<session>.{{10}})")',
        claim="Only a name a session gave (tut and ten hex digits of its id) marks a Compose project as the suite's.",
        killers=(
            f"{UNIT_CLEANUP}::test_only_what_a_session_that_no_longer_runs_left_is_orphaned",
            "tests/unit/test_soak.py::test_only_the_suites_marks_make_an_object_the_suites",
        ),
    ),
    Mistake(
        name="session-label-other-than-testcontainers",
        file="tests/support/marks.py",
        find='SESSION_LABEL = "org.testcontainers.session-id"',
        replace='SESSION_LABEL = "org.testcontainers.session"',
        claim="The suite finds a session's containers by the label testcontainers puts on them.",
        killers=(f"{UNIT_CLEANUP}::test_the_suites_session_label_is_testcontainers_own",),
    ),
    Mistake(
        name="clean-engine-removes-a-users-own-projects",
        file="tests/support/cleanup.py",
        find="    if not is_session_name(project):\n",
        replace="    if not project:\n",
        claim="`make clean-engine` never removes a Compose project not the suite's (`make up`'s stack, a user's).",
        killers=(f"{UNIT_CLEANUP}::test_only_what_a_session_that_no_longer_runs_left_is_orphaned",),
    ),
    Mistake(
        name="sessions-killed-hard-still-counted-running",
        file="tests/support/cleanup.py",
        find="            if not process_alive(pid):\n",
        replace="            if False:\n",
        claim="A session killed hard no longer counts as running: what it left can be cleaned.",
        killers=(f"{UNIT_CLEANUP}::test_a_session_is_noted_while_it_runs_and_a_dead_one_is_forgotten",),
    ),
    # --- the verdict store (tests/mutations/): a reused kill is only as good as its key ---
    Mistake(
        name="key-leaves-out-the-base-images-ids",
        file="tests/mutations/keys.py",
        find="        **snapshot.images,\n",
        replace="",
        claim="A stand-in rebuilt under the same name (another image ID) makes every mistake run again.",
        killers=(f"{UNIT_VERDICTS}::test_another_base_image_id_means_the_mistake_runs",),
    ),
    Mistake(
        name="key-leaves-out-the-support-modules-killers-import",
        file="tests/mutations/inputs.py",
        find="            if found is not None:\n                todo.append(found)\n",
        replace=(
            '            if found is not None and found.startswith("tests/unit/"):\n'
            "                todo.append(found)\n"
        ),
        claim="A change to a support module a killer imports, directly or not, makes its mistakes run again.",
        killers=(f"{UNIT_VERDICTS}::test_a_changed_support_module_a_killer_imports_means_the_mistake_runs",),
    ),
    Mistake(
        name="key-closure-misses-imports-under-a-top-level-block",
        file="tests/mutations/inputs.py",
        find="        todo += [c for c in ast.iter_child_nodes(node) if not isinstance(c, RUN_WHEN_CALLED)]\n",
        replace=(
            "        todo += [c for c in ast.iter_child_nodes(node)\n"
            "                 if isinstance(node, ast.Module) and not isinstance(c, RUN_WHEN_CALLED)]\n"
        ),
        claim="The key follows every import that runs when a module is imported, those in a top-level `try` too.",
        killers=(f"{UNIT_VERDICTS}::test_the_closure_holds_what_runs_at_import_and_not_an_import_inside_a_function",),
    ),
    Mistake(
        name="reads-plugin-misses-what-python-imports",
        file="tests/mutations/reads.py",
        find='            if relative is not None and not any(c in mode for c in "wax"):\n',
        replace='            if relative is not None and not any(c in mode for c in "wabx"):\n',
        claim="A module a killing run imported inside a function is in the key: the audit hook saw its file opened.",
        killers=(
            f"{UNIT_VERDICTS}::test_a_module_imported_inside_a_function_that_ran_is_an_input",
            f"{UNIT_VERDICTS}::test_the_reads_plugin_notes_project_files_listings_programs_and_the_engine",
        ),
    ),
    Mistake(
        name="record-paused-for-good-after-the-images-are-named",
        file="tests/mutations/reads.py",
        find='            self.paused = args[:1] == ("begin",)\n',
        replace="            self.paused = True\n",
        claim="What a run reads after the session's start has named the images is in its key.",
        killers=(f"{UNIT_VERDICTS}::test_naming_the_images_at_the_sessions_start_is_no_input_and_what_follows_is",),
    ),
    Mistake(
        name="naming-the-images-recorded-as-a-runs-input",
        file="tests/support/environment.py",
        find='    sys.audit(UNRECORDED, "begin")\n',
        replace="",
        claim=(
            "A change of the webapp's code does not re-run a kill whose run never touched the engine "
            "only because the session's start read that code to name the images."
        ),
        killers=(f"{UNIT_VERDICTS}::test_naming_the_images_at_the_sessions_start_is_no_input_and_what_follows_is",),
    ),
    Mistake(
        name="key-leaves-out-the-patch",
        file="tests/mutations/keys.py",
        find='        "patch": patch_digest(mistake),\n',
        replace="",
        claim="A mistake whose patch or killers changed runs again.",
        killers=(f"{UNIT_VERDICTS}::test_another_patch_means_the_mistake_runs",),
    ),
    Mistake(
        name="key-leaves-out-the-engines-version",
        file="tests/mutations/inputs.py",
        find='    versions["tool:engine"] = _command_output(ENGINE_VERSION)\n',
        replace="",
        claim="Another Docker engine makes every mistake run again.",
        killers=(f"{UNIT_VERDICTS}::test_another_engine_version_means_the_mistake_runs",),
    ),
    Mistake(
        name="key-leaves-out-what-the-run-read",
        file="tests/mutations/keys.py",
        find='    observed = {f"file:{f}": snapshot.files[f] for f in reads["files"] if f in snapshot.files}\n',
        replace="    observed: dict[str, str] = {}\n",
        claim="A change to a file the killing run read (a document a scenario checks) makes the mistake run again.",
        killers=(f"{UNIT_VERDICTS}::test_a_file_the_killing_run_read_is_an_input",),
    ),
    Mistake(
        name="key-leaves-out-the-system-of-a-run-that-started-programs",
        file="tests/mutations/keys.py",
        find='    return observed, bool(reads["spawned"] or reads["engine"])\n',
        replace="    return observed, False\n",
        claim="A run that started a program or talked to the engine is keyed on every file of the system.",
        killers=(f"{UNIT_VERDICTS}::test_a_run_that_started_a_program_or_talked_to_the_engine_is_keyed_on_the_system",),
    ),
    Mistake(
        name="verdict-stored-without-a-clean-baseline",
        file="tests/mutations/run.py",
        find="        if not self.clean_baseline(mistake):\n",
        replace="        if False:\n",
        claim="A kill is stored only where a report of the same tree shows its killers passing unpatched.",
        killers=(f"{UNIT_VERDICTS}::test_only_a_clean_kill_is_stored",),
    ),
    Mistake(
        name="planted-file-keeps-its-unplanted-bytecode",
        file="tests/mutations/run.py",
        find='glob(f"{source.stem}.*.pyc")',
        replace='glob(f"{source.stem}.pyc")',
        claim="A mutant's copy keeps the scratch copy's bytecode of every file but the planted one.",
        killers=(
            "tests/unit/test_mutation_runner.py::"
            "test_the_scratch_copy_is_compiled_once_and_a_planted_file_forgets_its_bytecode",
        ),
    ),
    Mistake(
        name="stage-pass-stored-after-a-failure",
        file="tests/mutations/stages.py",
        find="    if exit_code != 0:\n",
        replace="    if exit_code not in (0, 1):\n",
        claim="A stage that failed is never stored as a pass: the next run runs it again.",
        killers=(f"{UNIT_STAGES}::test_a_failure_is_never_stored_and_fresh_ignores_the_store",),
    ),
    Mistake(
        name="stage-key-leaves-out-its-files",
        file="tests/mutations/stages.py",
        find='        **{f"file:{f}": d for f, d in inputs.file_digests(root, read).items()},\n',
        replace="",
        claim="A stage whose files changed runs again, and says which.",
        killers=(f"{UNIT_STAGES}::test_a_changed_file_runs_the_stage_and_says_which",),
    ),
    Mistake(
        name="evidence-tree-includes-the-set-ups-env-file",
        file="tests/mutations/inputs.py",
        find='NOT_SOURCE = (".env",)\n',
        replace="NOT_SOURCE = ()\n",
        claim="A report written while the set-up adds to .env is still evidence of the tree it ran on.",
        killers=(f"{UNIT_VERDICTS}::test_the_tree_a_report_names_is_its_sources_not_the_set_ups_env_file",),
    ),
    Mistake(
        name="no-audit-of-reused-verdicts",
        file="tests/mutations/verdicts.py",
        find="    return min(reused, max(5, -(-reused // 10)))\n",
        replace="    return 0\n",
        claim="Every run re-runs at least 5, or 10 %, of the verdicts it reused.",
        killers=(f"{UNIT_VERDICTS}::test_the_audit_reruns_at_least_five_or_ten_percent",),
    ),
)

# Scenarios that show how Docker itself behaves, with the project's images as props: no
# change to the project can make them fail, so no planted mistake proves them. They
# document the engine; they do not guard the system.
DOCKER_BEHAVIOUR: dict[str, str] = {
    f"{CH01}::test_one_image_runs_as_several_isolated_containers": "each container's writable layer is the engine's",
    f"{CH01}::test_a_stopped_container_keeps_its_files_and_a_removed_one_takes_them": (
        "a container's lifecycle is the engine's"
    ),
    f"{CH01}::test_the_image_is_unchanged_by_what_containers_do": "image immutability is the engine's",
    f"{CH03}::test_an_unpublished_port_has_no_host_port": "the scenario itself does not publish the port",
    f"{CH03}::test_the_host_reaches_an_unpublished_container_at_its_address_and_a_lan_neighbour_does_not": (
        "what reaches a container's address, published or not, is the engine's and the kernel's"
    ),
    f"{CH03}::test_several_containers_of_one_image_on_different_host_ports": "host port allocation is the engine's",
    f"{CH03}::test_a_server_listening_on_loopback_inside_cannot_be_reached_through_the_mapping": (
        "the scenario binds the server to loopback itself; the project's own binding is proven by "
        "`webapp-listens-on-loopback-only` and `api-listens-on-loopback-only`"
    ),
    f"{CH07}::test_on_the_default_bridge_names_do_not_resolve": "the default bridge's lack of DNS is the engine's",
    f"{CH03}::test_a_port_published_on_127_0_0_1_answers_the_host_and_no_lan_neighbour_not_even_at_its_address": (
        "what this machine's engine, as the set-up left it, forwards: a mutant's run does not set the engine up again "
        "(its rules would be every concurrent run's); the set-up's rules are proven by `lan-guard-never-set-up`, "
        "`lan-guard-drops-nothing`, `lan-guard-drops-published-ports`, `lan-guard-drops-what-containers-send`, "
        "`lan-guard-rules-added-again-on-each-run` and `lan-guard-rewritten-by-every-run`, and this scenario "
        "fails with the guard's chain emptied"
    ),
}
