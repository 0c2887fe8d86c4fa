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
CH05 = "tests/containers/test_05_compose_basics.py"
CH06 = "tests/containers/test_06_service_dns.py"
CH07 = "tests/containers/test_07_database.py"
CH08 = "tests/containers/test_08_retry_on_startup.py"
CH09 = "tests/containers/test_09_data_and_volumes.py"
CH10 = "tests/containers/test_10_whole_system.py"
CH11 = "tests/containers/test_11_the_suite_cleans_up.py"
CH12 = "tests/containers/test_12_in_a_browser.py"
CH13 = "tests/containers/test_13_faults_and_load.py"
CH14 = "tests/containers/test_14_swarm.py"
CH15 = "tests/containers/test_15_base_images.py"
UNIT_VIEWS = "tests/unit/test_views.py"
UNIT_CONFIG = "tests/unit/test_config.py"
UNIT_SCRIPTS = "tests/unit/test_scripts.py"
UNIT_ACCESS_LOG = "tests/unit/test_access_log.py"
UNIT_SWARM = "tests/unit/test_swarm_membership.py"
CH16 = "tests/containers/test_16_a_fresh_machine.py"
REHEARSE_BOOKWORM = f"{CH16}::test_on_a_stock_bookworm_make_up_serves_the_page_and_make_test_is_green"
REHEARSE_OLD_ENGINE = f"{CH16}::test_an_engine_older_than_25_that_runs_is_refused_with_what_to_do_and_left_alone"

MISTAKES: tuple[Mistake, ...] = (
    # --- docker-compose.yml, compose.volume.yml, Makefile: the README's promises ---
    Mistake(
        name="default-port-not-8080",
        file="docker-compose.yml",
        find=':${WEBAPP_PORT:-8080}:5000"',
        replace=':${WEBAPP_PORT:-8081}:5000"',
        claim="The tutorial's mapping: the webapp is published on host port 8080 by default.",
        killers=(f"{CH05}::test_by_default_the_webapp_is_published_on_host_port_8080",),
    ),
    Mistake(
        name="webapp-published-on-the-wrong-container-port",
        file="docker-compose.yml",
        find=':${WEBAPP_PORT:-8080}:5000"',
        replace=':${WEBAPP_PORT:-8080}:8080"',
        claim="The host port leads to the webapp's container port 5000.",
        killers=(f"{CH05}::test_up_ps_logs_and_down",),
    ),
    Mistake(
        name="webapp-starts-before-the-database-is-healthy",
        file="docker-compose.yml",
        find="      db:\n        condition: service_healthy\n",
        replace="      db:\n        condition: service_started\n",
        claim="The webapp starts only once the database reports healthy.",
        killers=(f"{CH05}::test_the_webapp_starts_only_once_the_database_and_the_api_are_healthy[db]",),
    ),
    Mistake(
        name="webapp-starts-before-the-api-is-healthy",
        file="docker-compose.yml",
        find="      api:\n        condition: service_healthy\n",
        replace="      api:\n        condition: service_started\n",
        claim="The webapp starts only once the api reports healthy.",
        killers=(f"{CH05}::test_the_webapp_starts_only_once_the_database_and_the_api_are_healthy[api]",),
    ),
    Mistake(
        name="api-publishes-its-port",
        file="docker-compose.yml",
        find='    expose:\n      - "5001"\n',
        replace='    ports:\n      - "5001"\n',
        claim="The api is reachable only inside the Compose network: it publishes no host port.",
        killers=(f"{CH06}::test_the_api_publishes_no_port",),
    ),
    Mistake(
        name="webapp-looks-for-the-api-elsewhere",
        file="docker-compose.yml",
        find="API_URL: http://api:5001",
        replace="API_URL: http://localhost:5001",
        claim="In Compose the webapp reaches the api by its service name.",
        killers=(f"{CH10}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
    ),
    Mistake(
        name="api-off-the-compose-network",
        file="docker-compose.yml",
        find='    # No published port: only services on the Compose network reach it, by the name "api".\n',
        replace="    network_mode: bridge\n",
        claim="In Compose the api is on the webapp's network, where its service name resolves.",
        killers=(f"{CH06}::test_in_compose_the_webapp_reaches_the_api_by_its_service_name",),
    ),
    Mistake(
        name="database-data-on-a-tmpfs",
        file="docker-compose.yml",
        find="      - /var/run/postgresql\n",
        replace="      - /var/run/postgresql\n      - /var/lib/postgresql/data\n",
        claim="The visits survive `docker compose stop` and `start`: the container keeps its data.",
        killers=(f"{CH09}::test_visits_survive_stop_and_start",),
    ),
    Mistake(
        name="named-volume-by-default",
        file="docker-compose.yml",
        find="      retries: 3\n",
        replace="      retries: 3\n    volumes:\n      - db-data:/var/lib/postgresql/data\n\nvolumes:\n  db-data:\n",
        claim="As in the tutorial, without compose.volume.yml `docker compose down` takes the visits with it.",
        killers=(f"{CH09}::test_without_a_volume_down_loses_the_visits",),
    ),
    Mistake(
        name="named-volume-mounted-beside-the-data",
        file="compose.volume.yml",
        find="db-data:/var/lib/postgresql/data",
        replace="db-data:/var/lib/postgresql/kept",
        claim="With compose.volume.yml the visits survive `docker compose down`.",
        killers=(f"{CH09}::test_with_a_named_volume_visits_survive_down_until_the_volume_is_removed",),
    ),
    Mistake(
        name="make-down-keeps-the-anonymous-volume",
        file="Makefile",
        find="docker compose down --volumes",
        replace="docker compose down",
        claim="`make down` leaves nothing behind: no orphaned anonymous volume.",
        killers=(f"{CH05}::test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing",),
    ),
    Mistake(
        name="make-up-returns-before-healthy",
        file="Makefile",
        find="docker compose up --build --wait",
        replace="docker compose up --build --detach",
        claim="`make up` returns only when every service is healthy.",
        killers=(f"{CH05}::test_make_up_serves_the_page_at_once_and_make_down_leaves_nothing",),
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
        claim="`docker stop` reaches gunicorn (exec form, no shell as PID 1) and ends cleanly and fast.",
        killers=(
            f"{CH02}::test_docker_stop_is_quick_and_clean",
            f"{CH13}::test_a_webapp_stopped_under_load_finishes_what_it_began_and_exits_cleanly",
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
            f"{CH10}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",
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
            f"{CH10}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",
        ),
    ),
    Mistake(
        name="db-probed-every-second-at-rest",
        file="docker-compose.yml",
        find="      interval: 30s\n",
        replace="      interval: 1s\n",
        claim="Once healthy, the database is probed every 30 s, as the other services are.",
        killers=(f"{CH10}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",),
    ),
    Mistake(
        name="db-health-check-without-start-interval",
        file="docker-compose.yml",
        find="      start_interval: 500ms\n",
        replace="",
        claim="A new database is probed every half second, so the services that wait for it start soon.",
        killers=(f"{CH10}::test_every_service_is_probed_often_while_it_starts_and_every_30_s_once_healthy",),
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
        file="app/gunicorn_conf.py",
        find='bind = "0.0.0.0:5000"',
        replace='bind = "127.0.0.1:5000"',
        claim="The webapp listens on all interfaces, so the published port reaches it.",
        killers=(f"{CH10}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
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
        file="app/gunicorn_conf.py",
        find="graceful_timeout = 5\n",
        replace="graceful_timeout = 30\n",
        claim="`docker stop` ends cleanly before Docker's kill, even with a request hanging.",
        killers=(f"{CH02}::test_docker_stop_ends_cleanly_even_with_a_request_hanging",),
    ),
    Mistake(
        name="api-says-something-else",
        file="api/service.py",
        find='MESSAGE = "Hello from the API container!"',
        replace='MESSAGE = "Hello from somewhere"',
        claim="The page shows the api's own message.",
        killers=(f"{CH10}::test_the_stack_comes_up_healthy_and_the_page_shows_the_api_message_and_a_visit",),
    ),
    # --- the webapp: database, retry, timeouts, answers ---
    Mistake(
        name="webapp-default-api-url-wrong",
        file="app/config.py",
        find='read.text("API_URL", "http://api:5001")',
        replace='read.text("API_URL", "http://localhost:5001")',
        claim='By default the webapp finds the api by the name "api" (a network alias or a Compose service).',
        killers=(f"{CH06}::test_a_network_alias_names_a_container_on_a_user_defined_network",),
    ),
    Mistake(
        name="api-outage-breaks-the-page",
        file="app/api_client.py",
        find="        except NewConnectionError:  # refused, or a name that does not resolve\n",
        replace="        except urllib3.exceptions.LocationValueError:\n",
        claim="With the api stopped the page says plainly that the api is unreachable.",
        killers=(f"{CH06}::test_with_the_api_stopped_the_page_says_so_quickly_and_still_renders",),
    ),
    Mistake(
        name="database-outage-is-a-server-error",
        file="app/views.py",
        find="    except SQLAlchemyError as error:\n        db_error = _unavailable(error)\n",
        replace="    except ValueError as error:\n        db_error = str(error)\n",
        claim='While the database is down the page answers 503 "database unavailable", not a server error.',
        killers=(
            f"{CH08}::test_a_database_restart_under_a_running_webapp",
            f"{CH13}::test_a_database_killed_under_load_loses_no_answered_visit",
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
        find="        wait_in_background(store.ensure_schema, settings)\n",
        replace="        pass\n",
        claim="The webapp waits for the database in the background and is ready before any request.",
        killers=(f"{CH08}::test_the_webapp_is_ready_within_a_backoff_step_of_the_database_and_before_any_request",),
    ),
    Mistake(
        name="retry-without-backoff",
        file="app/startup.py",
        find="multiplier=settings.db_retry_initial_delay,",
        replace="multiplier=0,",
        claim="The pauses between attempts grow exponentially.",
        killers=(f"{CH08}::test_the_retry_backs_off_exponentially_up_to_its_cap",),
    ),
    Mistake(
        name="retry-without-a-cap",
        file="app/startup.py",
        find="max=settings.db_retry_max_delay,",
        replace="max=settings.db_retry_max_delay * 100,",
        claim="The pauses between attempts stop growing at DB_RETRY_MAX_DELAY.",
        killers=(f"{CH08}::test_the_retry_backs_off_exponentially_up_to_its_cap",),
    ),
    Mistake(
        name="retry-past-its-deadline",
        file="app/startup.py",
        find="stop=stop_after_delay(settings.db_startup_deadline),",
        replace="stop=stop_after_delay(settings.db_startup_deadline * 10),",
        claim="The retry gives up at DB_STARTUP_DEADLINE.",
        killers=(f"{CH08}::test_with_no_database_it_gives_up_at_its_deadline_and_answers_unavailable_at_once",),
    ),
    Mistake(
        name="retry-gives-up-at-once",
        file="app/startup.py",
        find="stop=stop_after_delay(settings.db_startup_deadline),",
        replace="stop=stop_after_delay(0),",
        claim="The retry keeps trying for the whole DB_STARTUP_DEADLINE.",
        killers=(f"{CH08}::test_with_no_database_it_gives_up_at_its_deadline_and_answers_unavailable_at_once",),
    ),
    Mistake(
        name="pooled-connections-not-checked",
        file="app/visits.py",
        find="pool_pre_ping=True,",
        replace="pool_pre_ping=False,",
        claim="After a database restart the first request already succeeds (pre-ping).",
        killers=(f"{CH08}::test_after_a_database_restart_the_first_request_already_succeeds",),
    ),
    Mistake(
        name="no-database-connect-timeout",
        file="app/visits.py",
        find='            "connect_timeout": settings.db_connect_timeout,\n',
        replace="",
        claim="A database host that never answers costs a request only DB_CONNECT_TIMEOUT.",
        killers=(f"{CH07}::test_a_database_host_that_never_answers_costs_a_request_only_the_connect_timeout",),
    ),
    Mistake(
        name="database-connect-timeout-ten-times-longer",
        file="app/config.py",
        find='read.integer("DB_CONNECT_TIMEOUT", 2,',
        replace='read.integer("DB_CONNECT_TIMEOUT", 20,',
        claim="The default database connect timeout is 2 s.",
        killers=(f"{CH07}::test_a_database_host_that_never_answers_costs_a_request_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-connect-timeout-ten-times-longer",
        file="app/config.py",
        find='read.number("API_CONNECT_TIMEOUT", 1.0,',
        replace='read.number("API_CONNECT_TIMEOUT", 10.0,',
        claim="The default api connect timeout is 1 s.",
        killers=(f"{CH06}::test_an_api_host_that_never_answers_costs_the_page_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-called-without-a-timeout",
        file="app/api_client.py",
        find='self.pool.request("GET", self.url, timeout=timeout, preload_content=False, redirect=False)',
        replace='self.pool.request("GET", self.url, preload_content=False, redirect=False)',
        claim="An api that never answers cannot hold the page.",
        killers=(f"{CH06}::test_an_api_host_that_never_answers_costs_the_page_only_the_connect_timeout",),
    ),
    Mistake(
        name="api-answer-read-whole",
        file="app/api_client.py",
        find="                if len(body) > MAX_MESSAGE_BYTES:\n",
        replace="                if False:\n",
        claim="The webapp reads at most 4 KiB of the api's answer.",
        killers=(
            f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib",
            f"{CH13}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[endless]",
        ),
    ),
    Mistake(
        name="api-answer-may-trickle-forever",
        file="app/api_client.py",
        find="                if time.monotonic() > deadline:\n",
        replace="                if False:\n",
        claim="An api that trickles its answer costs the page at most its two timeouts.",
        killers=(f"{UNIT_VIEWS}::test_a_hostile_api_costs_the_page_at_most_its_timeouts_and_4_kib",),
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
            f"{CH13}::test_a_hostile_api_container_costs_the_page_only_its_timeouts[silent]",
        ),
    ),
    Mistake(
        name="webapp-connects-as-another-user",
        file="app/config.py",
        find='username=read.text("POSTGRES_USER", "postgres"),',
        replace='username="postgres",',
        claim="The webapp connects with the user it is given.",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="visit-never-committed",
        file="app/visits.py",
        find='        isolation_level="AUTOCOMMIT",\n',
        replace="",
        claim="Each page answered 200 is exactly one row in the table, also under a burst of clients.",
        killers=(f"{CH13}::test_a_burst_of_16_clients_loses_nothing_and_doubles_nothing",),
    ),
    Mistake(
        name="schema-made-outside-a-transaction",
        file="app/visits.py",
        find='return connection.execution_options(isolation_level="READ COMMITTED").begin()',
        replace="return connection.begin()",
        claim="The table, its count and their triggers are made in one transaction (the engine itself autocommits).",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="page-statement-prepared-for-every-page",
        file="app/visits.py",
        find="        connection.info[name] = True\n",
        replace="",
        claim="A pooled connection prepares the page's statement once, and every later page on it runs it.",
        killers=(
            f"{CH07}::test_each_visit_is_a_row_listed_newest_first",
            f"{CH13}::test_a_burst_of_16_clients_loses_nothing_and_doubles_nothing",
        ),
    ),
    Mistake(
        name="stale-prepared-statement-never-renewed",
        file="app/visits.py",
        find='        if getattr(error.orig, "pgcode", None) not in _STALE_PREPARED_STATEMENT:\n',
        replace="        if True:\n",
        claim="A statement prepared before the table changed is prepared anew, and the visit recorded once.",
        killers=(f"{CH07}::test_a_migration_of_the_table_while_the_webapp_runs_costs_no_page",),
    ),
    Mistake(
        name="access-log-lets-a-client-forge-its-line",
        file="app/access_log.py",
        find="""return value.replace('"', '\\\\"') if isinstance(value, str) else value""",
        replace="return value",
        claim="A quote in a request's line or headers is escaped in the access log, as gunicorn does.",
        killers=(f"{UNIT_ACCESS_LOG}::test_the_line_is_gunicorns_own_for_any_request",),
    ),
    Mistake(
        name="webapp-writes-no-access-log",
        file="app/gunicorn_conf.py",
        find='accesslog = "-"\n',
        replace="accesslog = None\n",
        claim="`docker compose logs` shows each page the webapp answered.",
        killers=(f"{CH05}::test_up_ps_logs_and_down",),
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
        name="access-log-ignores-the-operators-logging-configuration",
        file="app/access_log.py",
        find="cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json",
        replace="False",
        claim="With a logging configuration of the operator's own, gunicorn writes the access line itself.",
        killers=(f"{UNIT_ACCESS_LOG}::test_a_logging_configuration_of_the_operators_own_is_left_to_gunicorn",),
    ),
    Mistake(
        name="access-log-ignores-a-format-set-by-the-operator",
        file="app/access_log.py",
        find="cfg.access_log_format != AccessLogFormat.default or bool(",
        replace="False or bool(",
        claim="An access_log_format an operator sets is honoured (the cheap line is gunicorn's default one only).",
        killers=(f"{UNIT_ACCESS_LOG}::test_another_format_is_left_to_gunicorn",),
    ),
    Mistake(
        name="visit-count-not-kept",
        file="app/visits.py",
        find='"CREATE TRIGGER visits_counted_insert AFTER INSERT ON visits',
        replace='"CREATE TRIGGER visits_counted_insert AFTER UPDATE ON visits',
        claim="The page's total counts every visit.",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="visit-count-forgets-earlier-visits",
        file="app/visits.py",
        find='"SELECT s, coalesce(counted.n, 0) FROM generate_series',
        replace='"SELECT s, 0 FROM generate_series',
        claim="A database from before the count existed keeps its visits in the total.",
        killers=(f"{CH07}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visit-count-ignores-deletes",
        file="app/visits.py",
        find="CREATE TRIGGER visits_counted_delete AFTER DELETE ON visits",
        replace="CREATE TRIGGER visits_counted_delete AFTER UPDATE ON visits",
        claim="Visits deleted by hand leave the total.",
        killers=(f"{CH07}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visit-count-ignores-truncate",
        file="app/visits.py",
        find="        UPDATE visit_counts SET visits = 0;\n",
        replace="        NULL;\n",
        claim="An emptied table (TRUNCATE) shows a total of 0.",
        killers=(f"{CH07}::test_the_total_stays_exact_for_old_visits_and_for_rows_deleted_by_hand",),
    ),
    Mistake(
        name="visits-listed-oldest-first",
        file="app/visits.py",
        find="order_by(visits.c.id.desc())",
        replace="order_by(visits.c.id)",
        claim="Visits are listed newest first.",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="page-lists-oldest-first",
        file="app/visits.py",
        find="     ORDER BY page.id DESC\n",
        replace="     ORDER BY page.id\n",
        claim="The page lists its visit and the older ones newest first.",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="page-total-leaves-out-its-own-visit",
        file="app/visits.py",
        find="coalesce(sum(visits), 0) + 1 AS total",
        replace="coalesce(sum(visits), 0) AS total",
        claim="The page's total counts the visit it records.",
        killers=(f"{CH07}::test_each_visit_is_a_row_listed_newest_first",),
    ),
    Mistake(
        name="readiness-ignores-the-database",
        file="app/views.py",
        find="        _store().ensure_schema()\n        _store().ping()\n",
        replace="        pass\n",
        claim="/readyz answers 503 while the database cannot be used.",
        killers=(f"{CH07}::test_a_wrong_password_is_reported_not_crash_looped",),
    ),
    Mistake(
        name="no-statement-timeout",
        file="app/visits.py",
        find='"options": f"-c statement_timeout={_ms(settings.db_statement_timeout)}",',
        replace="",
        claim="A request waiting on a lock held elsewhere ends after DB_STATEMENT_TIMEOUT with a 503.",
        killers=(f"{CH07}::test_a_request_waiting_on_a_lock_held_elsewhere_ends_at_the_statement_timeout",),
    ),
    Mistake(
        name="database-error-text-shown",
        file="app/views.py",
        find="    return DATABASE_UNAVAILABLE\n",
        replace='    return f"database unavailable: {describe_error(error)}"\n',
        claim="No answer shows the database's own error (host, address, role): only the log does.",
        killers=(f"{CH07}::test_a_wrong_password_is_reported_not_crash_looped",),
    ),
    Mistake(
        name="web-concurrency-ignored",
        file="app/serve.py",
        find='    os.environ["WEB_CONCURRENCY"] = str(settings.web_concurrency)\n',
        replace='    os.environ.pop("WEB_CONCURRENCY", None)\n',
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
            f"{CH13}::test_a_wrong_setting_stops_the_container_at_once_with_one_line_naming_it[WEB_CONCURRENCY]",
            f"{CH13}::test_a_wrong_setting_stops_the_container_at_once_with_one_line_naming_it[POSTGRES_PASSWORD_FILE]",
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
        killers=(f"{CH07}::test_the_database_image_reads_its_password_from_a_file_and_stops_fast",),
    ),
    Mistake(
        name="offline-postgres-smart-shutdown",
        file="scripts/offline/postgres.Dockerfile",
        find="STOPSIGNAL SIGINT\n",
        replace="",
        claim="`docker stop` of the database is a fast shutdown, even with clients connected.",
        killers=(f"{CH07}::test_the_database_image_reads_its_password_from_a_file_and_stops_fast",),
    ),
    # --- least privilege ---
    Mistake(
        name="python-services-root-filesystem-writable",
        file="docker-compose.yml",
        find="  read_only: true\n  tmpfs:\n    - /tmp\n  cap_drop:",
        replace="  read_only: false\n  tmpfs:\n    - /tmp\n  cap_drop:",
        claim="The webapp and the api run on a read-only root filesystem.",
        killers=(f"{CH10}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-keep-capabilities",
        file="docker-compose.yml",
        find="  cap_drop:\n    - ALL\n  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        replace="  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        claim="The webapp and the api run with every capability dropped.",
        killers=(f"{CH10}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-may-gain-privileges",
        file="docker-compose.yml",
        find="  security_opt:\n    - no-new-privileges:true\n  mem_limit",
        replace="  mem_limit",
        claim="No process of the webapp or the api can gain privileges (no-new-privileges).",
        killers=(f"{CH10}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-unbounded",
        file="docker-compose.yml",
        find="  mem_limit: 256m\n",
        replace="",
        claim="The webapp's and the api's memory is bounded.",
        killers=(f"{CH10}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="python-services-not-restarted",
        file="docker-compose.yml",
        find="  pids_limit: 128\n  restart: unless-stopped\n",
        replace="  pids_limit: 128\n",
        claim="A crashed webapp or api is restarted.",
        killers=(f"{CH10}::test_the_python_services_run_with_least_privilege",),
    ),
    Mistake(
        name="webapp-published-on-every-interface",
        file="docker-compose.yml",
        find="${WEBAPP_BIND:-127.0.0.1}",
        replace="${WEBAPP_BIND:-0.0.0.0}",
        claim="By default the webapp is reachable from this machine only.",
        killers=(f"{CH10}::test_only_the_webapp_is_published_and_only_on_loopback",),
    ),
    Mistake(
        name="database-keeps-every-capability",
        file="docker-compose.yml",
        find="    cap_drop:\n      - ALL\n    cap_add:",
        replace="    cap_add:",
        claim="The database keeps only the capabilities its entrypoint needs.",
        killers=(f"{CH10}::test_the_database_keeps_only_the_capabilities_it_needs",),
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
        killers=(f"{CH10}::test_the_webapp_uses_its_own_database_role_not_the_superuser",),
    ),
    Mistake(
        name="webapp-role-made-a-superuser",
        file="db/initdb.d/10-webapp-role.sh",
        find="LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD",
        replace="LOGIN SUPERUSER PASSWORD",
        claim="The webapp's role may do nothing beyond owning its database.",
        killers=(f"{CH10}::test_the_webapp_uses_its_own_database_role_not_the_superuser",),
    ),
    Mistake(
        name="database-password-in-the-environment",
        file="docker-compose.yml",
        find="      POSTGRES_PASSWORD_FILE: /run/secrets/db_password\n      POSTGRES_DB",
        replace="      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}\n      POSTGRES_DB",
        claim="The database's password reaches it as a secret file, never in its configuration.",
        killers=(f"{CH10}::test_passwords_reach_the_services_only_as_secret_files",),
    ),
    Mistake(
        name="offline-postgres-server-keeps-the-password",
        file="scripts/offline/docker-entrypoint.sh",
        find="  unset POSTGRES_PASSWORD\n  exec",
        replace="  exec",
        claim="The password read from a file is not left in the running server's environment.",
        killers=(f"{CH10}::test_passwords_reach_the_services_only_as_secret_files",),
    ),
    Mistake(
        name="offline-postgres-trusts-local-logins",
        file="scripts/offline/docker-entrypoint.sh",
        find='--auth-local="$AUTH_METHOD"',
        replace="--auth-local=trust",
        claim="A login over the database's local socket needs the password too.",
        killers=(f"{CH07}::test_every_login_needs_the_password_also_over_the_local_socket",),
    ),
    Mistake(
        name="offline-postgres-forgets-an-interrupted-first-start",
        file="scripts/offline/docker-entrypoint.sh",
        find='  touch "$PGDATA/$INIT_MARKER"\n',
        replace="",
        claim="A first start killed midway is made again at the next start, not left without its database.",
        killers=(f"{CH07}::test_a_first_start_killed_midway_starts_over_on_the_next",),
    ),
    # --- the stand-ins keep the official images' contract (chapter 15) ---
    Mistake(
        name="offline-python-outside-usr-local",
        file="scripts/offline/python.Dockerfile",
        find="ARG PYTHON_PREFIX=/usr/local\n",
        replace="ARG PYTHON_PREFIX=/opt/venv\n",
        claim="python, python3, pip and pip3 are in /usr/local/bin, as in the official image.",
        killers=(f"{CH15}::test_python_and_pip_are_in_usr_local_bin",),
    ),
    Mistake(
        name="offline-python-without-python-version",
        file="scripts/offline/python.Dockerfile",
        find="ENV PYTHON_VERSION=${PYTHON_VERSION} \\\n    PATH",
        replace="ENV PATH",
        claim="PYTHON_VERSION in the image's environment names the interpreter's version.",
        killers=(f"{CH15}::test_python_is_the_paired_version_and_says_so_in_python_version",),
    ),
    Mistake(
        name="offline-python-slimmed-of-sqlite",
        file="scripts/offline/python.Dockerfile",
        find="-o -name '*.pyc' \\)",
        replace="-o -name '*.pyc' -o -name 'libsqlite3.so*' \\)",
        claim="The standard library's ssl and sqlite3 work.",
        killers=(f"{CH15}::test_ssl_and_sqlite3_work",),
    ),
    Mistake(
        name="offline-python-without-gdbm",
        file="scripts/offline/python.Dockerfile",
        find=" python3-venv python3-gdbm ca-certificates",
        replace=" python3-venv ca-certificates",
        claim="The stand-in Python passes the official images' own import test (dbm.gnu among its modules).",
        killers=(f"{CH15}::test_the_official_images_own_import_test_passes",),
    ),
    Mistake(
        name="offline-python-ships-bytecode",
        file="scripts/offline/python.Dockerfile",
        find="-exec rm -rf '{}' +",
        replace="-print",
        claim="The image ships no .pyc files.",
        killers=(f"{CH15}::test_the_image_ships_no_compiled_bytecode",),
    ),
    Mistake(
        name="offline-python-hides-user-sites",
        file="scripts/offline/python.Dockerfile",
        find="venv --system-site-packages",
        replace="venv",
        claim="A user other than root installs with pip into their own ~/.local.",
        killers=(f"{CH15}::test_pip_installs_for_root_into_site_packages_and_for_another_user_into_their_home",),
    ),
    Mistake(
        name="offline-postgres-without-pg-version",
        file="scripts/offline/postgres.Dockerfile",
        find="ENV PG_MAJOR=${PG_MAJOR} \\\n    PG_VERSION=${PG_VERSION}\n",
        replace="ENV PG_MAJOR=${PG_MAJOR}\n",
        claim="PG_MAJOR and PG_VERSION in the image's environment name the server's version.",
        killers=(f"{CH15}::test_postgres_is_the_paired_version_and_says_so_in_pg_major_and_pg_version",),
    ),
    Mistake(
        name="offline-postgres-skips-compressed-init-scripts",
        file="scripts/offline/docker-entrypoint.sh",
        find="      *.sql.gz)",
        replace="      *.sql.gz.off)",
        claim="*.sql.gz files in /docker-entrypoint-initdb.d/ are run on the first start.",
        killers=(f"{CH15}::test_init_scripts_run_once_on_an_empty_data_directory",),
    ),
    Mistake(
        name="offline-postgres-sources-executable-init-scripts",
        file="scripts/offline/docker-entrypoint.sh",
        find='if [ -x "$f" ]; then',
        replace="if false; then",
        claim="An executable *.sh init script runs in its own process (its exit ends only itself).",
        killers=(f"{CH15}::test_init_scripts_run_once_on_an_empty_data_directory",),
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
        killers=(f"{CH15}::test_init_scripts_run_once_on_an_empty_data_directory",),
    ),
    Mistake(
        name="offline-postgres-ignores-initdb-args",
        file="scripts/offline/docker-entrypoint.sh",
        find=" $POSTGRES_INITDB_ARGS\n",
        replace="\n",
        claim="POSTGRES_INITDB_ARGS reaches initdb.",
        killers=(f"{CH15}::test_postgres_initdb_args_reach_initdb",),
    ),
    Mistake(
        name="offline-postgres-ignores-host-auth-method",
        file="scripts/offline/docker-entrypoint.sh",
        find="AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}",
        replace="AUTH_METHOD=scram-sha-256",
        claim="POSTGRES_HOST_AUTH_METHOD=trust starts without a password and lets clients in without one.",
        killers=(f"{CH15}::test_postgres_host_auth_method_trust_needs_no_password",),
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
        name="dockerfile-base-image-drifts-from-images-env",
        file="Dockerfile",
        find="ARG PYTHON_IMAGE=python:3.13-slim-trixie\n",
        replace="ARG PYTHON_IMAGE=python:3.11-slim\n",
        claim="Every image name has one source, images.env; the Dockerfiles' defaults say the same.",
        killers=("tests/unit/test_image_names.py::test_the_dockerfiles_default_base_image_is_the_official_one",),
    ),
    # --- the set-up scripts ---
    # On a pristine machine: each is killed by the rehearsal (chapter 16), which a machine set
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
        file="scripts/ensure-images.sh",
        find="  command -v debootstrap >/dev/null || {\n",
        replace="  true || {\n",
        claim="Where no registry answers, make up installs what builds the stand-in images (debootstrap).",
        killers=(REHEARSE_BOOKWORM,),
    ),
    Mistake(
        name="running-engine-version-not-checked",
        file="scripts/ensure-engine.sh",
        find="  require_new_enough_engine\n  ensure_compose\n",
        replace="  ensure_compose\n",
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
        find="""  if new_enough "$(apt-cache policy docker.io""",
        replace="""  if ! new_enough "$(apt-cache policy docker.io""",
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
    # --- the Swarm stack (swarm/): replicas, the proxy, rolling updates ---
    Mistake(
        name="stack-runs-one-webapp",
        file="swarm/stack.yml",
        find="      replicas: 3\n",
        replace="      replicas: 1\n",
        claim="In the stack, requests are spread over several webapp replicas.",
        killers=(f"{CH14}::test_requests_through_the_published_port_are_served_by_more_than_one_webapp_replica",),
    ),
    Mistake(
        name="stack-database-without-the-webapp-role",
        file="swarm/stack.yml",
        find="    configs:\n      # A config, not a bind mount",
        replace="    x-configs:\n      # A config, not a bind mount",
        claim="In the stack the database makes the webapp's role at its first start, so every visit is recorded.",
        killers=(f"{CH14}::test_every_visit_lands_in_the_one_database",),
    ),
    Mistake(
        name="rolling-update-stops-before-it-starts",
        file="swarm/stack.yml",
        find="        order: start-first\n        parallelism: 1\n        delay: 1s",
        replace="        order: stop-first\n        parallelism: 1\n        delay: 1s",
        claim="A rolling update starts each new webapp task before it stops an old one: never fewer than 3 serve.",
        killers=(f"{CH14}::test_a_rolling_update_under_load_answers_every_request",),
    ),
    Mistake(
        name="proxy-resolves-the-webapp-once",
        file="swarm/nginx.conf",
        find="        set $webapp webapp:5000;\n        proxy_pass http://$webapp;\n",
        replace="        proxy_pass http://webapp:5000;\n",
        claim="The proxy follows the webapp's tasks as they come and go: it resolves the service per request.",
        killers=(
            f"{CH14}::test_scaling_the_webapp_from_3_to_5_and_back_keeps_serving",
            f"{CH14}::test_a_rolling_update_under_load_answers_every_request",
        ),
    ),
    Mistake(
        name="proxy-never-retries-another-replica",
        file="swarm/nginx.conf",
        find="        proxy_next_upstream error timeout;\n",
        replace="        proxy_next_upstream off;\n",
        claim="A request whose webapp task is killed or going away is retried on another: none fails.",
        killers=(f"{CH14}::test_a_killed_webapp_replica_is_replaced_and_no_request_fails",),
    ),
    Mistake(
        name="suite-leaves-a-swarm-it-did-not-make",
        file="tests/support/swarm.py",
        find="            ours = state.made and state.made == _swarm_id(client)\n",
        replace="            ours = True\n",
        claim="The Swarm chapter leaves an engine that was already in a swarm in it.",
        killers=(f"{UNIT_SWARM}::test_an_engine_already_in_a_swarm_is_left_in_it",),
    ),
    # --- the suite's own promise: a test run leaves nothing behind ---
    Mistake(
        name="sweep-keeps-anonymous-volumes",
        file="tests/support/cleanup.py",
        find="client.containers.get(name).remove(force=True, v=True)",
        replace="client.containers.get(name).remove(force=True, v=False)",
        claim="A failed scenario's containers are removed with their anonymous volumes at session end.",
        killers=(f"{CH11}::test_a_failed_scenario_leaves_nothing_behind",),
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
    f"{CH03}::test_an_unpublished_port_has_no_way_in_from_the_host": "the scenario itself does not publish the port",
    f"{CH03}::test_several_containers_of_one_image_on_different_host_ports": "host port allocation is the engine's",
    f"{CH03}::test_a_server_listening_on_loopback_inside_cannot_be_reached_through_the_mapping": (
        "the scenario binds the server to loopback itself; the project's own binding is proven by "
        "`webapp-listens-on-loopback-only` and `api-listens-on-loopback-only`"
    ),
    f"{CH06}::test_on_the_default_bridge_names_do_not_resolve": "the default bridge's lack of DNS is the engine's",
}
