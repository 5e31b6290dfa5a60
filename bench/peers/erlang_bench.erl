%% wactor-bench's message scenarios on Erlang/OTP (Debian erlang-base), with the same counts,
%% for the peer columns of wactor-bench (docs/BENCHMARKS.md "Peers"). Run with two schedulers:
%%   erl +S 2:2 -noshell -pa DIR -s erlang_bench main -extra [--quick] [--reps N] [--json FILE]
%% Scenarios:
%%   fire-and-forget 16 B / 1 KiB, 1 pair; 16 B, 4 pairs: a sender process sends N binaries to
%%     its sink; messages per second from the blast until every sink received all. Binaries
%%     over 64 B are reference-counted (a send copies a pointer): the 1 KiB "copy" variant
%%     sends binary:copy(Payload) each time, one allocation and copy per message as wactor does;
%%   round trip p50 / p99: sequential requests, the gap between replies; a plain
%%     send + selective receive on a fresh reference (no timeout), and gen_server:call with a
%%     30 s timeout (wactor's default);
%%   bytes per queued 16 B message (erlang:memory(total) delta, messages queued to a
%%     suspended process) and per pending request (gen_server:send_request, kept in a request
%%     id collection, each with a 3 s erlang:start_timer, to a server that never replies).
-module(erlang_bench).
-behaviour(gen_server).
-export([main/0, main/1, init/1, handle_call/3, handle_cast/2]).

-record(opts, {reps = 5, quick = false, json = none}).

main() -> main(init:get_plain_arguments()).

main(Args) ->
    Code = try
        run(parse(Args, #opts{})), 0
    catch Class:Reason:Stack ->
        io:format(standard_error, "erlang_bench: ~p:~p ~p~n", [Class, Reason, Stack]), 1
    end,
    halt(Code).

parse([], O) -> O;
parse(["--quick" | T], O) -> parse(T, O#opts{quick = true});
parse(["--reps", N | T], O) -> parse(T, O#opts{reps = max(1, list_to_integer(N))});
parse(["--json", F | T], O) -> parse(T, O#opts{json = F});
parse([A | _], _) -> error({bad_argument, A}).

%% wactor-bench's counts (bench/scenarios.h messages_for).
messages(#opts{quick = Q}, Size) ->
    N = if Size =< 16 -> 1000000; Size =< 1024 -> 200000; true -> 10000 end,
    case Q of true -> N div 20; false -> N end.

run(O0) ->
    O = case O0#opts.quick of true -> O0#opts{reps = min(O0#opts.reps, 3)}; false -> O0 end,
    Reps = O#opts.reps,
    Pairs = 2 * erlang:system_info(schedulers_online),
    N16 = messages(O, 16),
    N1k = messages(O, 1024),
    Rows = [
        {"ff_16_1", "fire-and-forget, 1 pair, 16 B", med(Reps, fun() -> tp(1, N16, 16, false) end) / 1.0e6,
         "M msg/s", "heap binary, copied by the send"},
        {"ff_1k_1", "fire-and-forget, 1 pair, 1024 B (refcounted)", med(Reps, fun() -> tp(1, N1k, 1024, false) end) / 1.0e6,
         "M msg/s", "one shared binary: a send copies a reference"},
        {"ff_1k_1_copy", "fire-and-forget, 1 pair, 1024 B (binary:copy)",
         med(Reps, fun() -> tp(1, N1k, 1024, true) end) / 1.0e6, "M msg/s", "binary:copy per send"},
        {"ff_16_pairs", "fire-and-forget, " ++ integer_to_list(Pairs) ++ " pairs, 16 B",
         med(Reps, fun() -> tp(Pairs, N16 div Pairs, 16, false) end) / 1.0e6, "M msg/s", ""}
    ] ++ rtt_rows(O, plain) ++ rtt_rows(O, call) ++ [
        {"queued_bytes", "memory per queued 16 B message", med(Reps, fun() -> queued(mem_n(O)) end), "B",
         "erlang:memory(total) delta, receiver suspended"},
        {"pending_bytes", "memory per pending request (3 s timeout)", med(Reps, fun() -> pending(mem_n(O)) end), "B",
         "send_request + reqid collection + start_timer"}
    ],
    [io:format("erlang  ~-50s ~10.3f ~s~n", [S, float(V), U]) || {_, S, V, U, _} <- Rows],
    case O#opts.json of
        none -> ok;
        File -> ok = file:write_file(File, json(Rows, Reps))
    end.

mem_n(#opts{quick = true}) -> 10000;
mem_n(_) -> 100000.

med(Reps, F) -> median([F() || _ <- lists:seq(1, Reps)]).

median(L) -> lists:nth(length(L) div 2 + 1, lists:sort(L)).

quantile(Sorted, Q) ->
    T = list_to_tuple(Sorted),
    element(min(tuple_size(T), round(Q * (tuple_size(T) - 1)) + 1), T).

now_ns() -> erlang:monotonic_time(nanosecond).

%% ---- fire-and-forget ----

tp(Pairs, N, Size, Copy) ->
    Self = self(),
    Payload = binary:copy(<<"x">>, Size),
    Sinks = [spawn(fun() -> sink(N), Self ! {done, self()} end) || _ <- lists:seq(1, Pairs)],
    Senders = [spawn(fun() -> receive {blast, K} -> blast(N, Payload, Copy, K) end end) || _ <- Sinks],
    T0 = now_ns(),
    [S ! {blast, K} || {S, K} <- lists:zip(Senders, Sinks)],
    [receive {done, K} -> ok end || K <- Sinks],
    Secs = (now_ns() - T0) / 1.0e9,
    [kill(S) || S <- Senders],
    Pairs * N / Secs.

blast(0, _, _, _) -> ok;
blast(N, P, false, K) -> K ! P, blast(N - 1, P, false, K);
blast(N, P, true, K) -> K ! binary:copy(P), blast(N - 1, P, true, K).

sink(0) -> ok;
sink(N) -> receive _ -> sink(N - 1) end.

%% ---- round trips ----

rtt_rows(O, How) ->
    N = case O#opts.quick of true -> 5000; false -> 50000 end,
    Runs = [rtt(N, How) || _ <- lists:seq(1, O#opts.reps)],
    {Key, Label} = case How of
        plain -> {"rtt_plain", "send + receive (no timeout)"};
        call -> {"rtt_call", "gen_server:call (30 s timeout)"}
    end,
    [{Key ++ "_p50", "round trip p50, " ++ Label, median([P50 || {P50, _} <- Runs]), "us", ""},
     {Key ++ "_p99", "round trip p99, " ++ Label, median([P99 || {_, P99} <- Runs]), "us", ""}].

rtt(N, How) ->
    Self = self(),
    Server = case How of
        plain -> spawn(fun ponger/0);
        call -> {ok, Pid} = gen_server:start(?MODULE, reply, []), Pid
    end,
    Pinger = spawn(fun() -> Self ! {marks, self(), ping(N, How, Server, [])} end),
    Marks = receive {marks, Pinger, M} -> lists:reverse(M) end,
    kill(Server),
    Gaps = lists:sort(gaps(Marks)),
    {quantile(Gaps, 0.5), quantile(Gaps, 0.99)}.

ping(0, _, _, Acc) -> Acc;
ping(N, plain, P, Acc) ->
    Ref = make_ref(),
    P ! {ping, self(), Ref},
    receive {pong, Ref} -> ping(N - 1, plain, P, [now_ns() | Acc]) end;
ping(N, call, P, Acc) ->
    pong = gen_server:call(P, ping, 30000),
    ping(N - 1, call, P, [now_ns() | Acc]).

ponger() ->
    receive {ping, From, Ref} -> From ! {pong, Ref}, ponger() end.

gaps([A, B | T]) -> [(B - A) / 1000.0 | gaps([B | T])];
gaps(_) -> [].

%% gen_server: `reply` answers every call; `{hold, Parent, N}` never answers and tells Parent
%% once it holds N calls.
init(Mode) -> {ok, Mode}.
handle_call(ping, _From, reply) -> {reply, pong, reply};
handle_call(ping, _From, {hold, Parent, 1}) -> Parent ! held, {noreply, done};
handle_call(ping, _From, {hold, Parent, N}) -> {noreply, {hold, Parent, N - 1}}.
handle_cast(_, S) -> {noreply, S}.

%% ---- memory ----

%% Kills P and waits until it is gone (its memory freed before the next measurement).
kill(P) ->
    Ref = erlang:monitor(process, P),
    exit(P, kill),
    receive {'DOWN', Ref, process, P, _} -> ok end.

settle() ->
    [erlang:garbage_collect(P) || P <- erlang:processes()],
    erlang:memory(total).

queued(N) ->
    Sink = spawn(fun() -> receive stop -> ok end end),
    erlang:suspend_process(Sink),
    Payload = binary:copy(<<"x">>, 16),
    M0 = settle(),
    send_n(N, Sink, Payload),
    M1 = erlang:memory(total),
    {message_queue_len, N} = erlang:process_info(Sink, message_queue_len),
    kill(Sink),
    (M1 - M0) / N.

send_n(0, _, _) -> ok;
send_n(N, P, M) -> P ! M, send_n(N - 1, P, M).

pending(N) ->
    Self = self(),
    {ok, Holder} = gen_server:start(?MODULE, {hold, Self, N}, []),
    M0 = settle(),
    Requester = spawn(fun() -> Ids = request_n(N, Holder, gen_server:reqids_new()), receive stop -> Ids end end),
    receive held -> ok end,
    M1 = settle(),
    kill(Requester),
    kill(Holder),
    (M1 - M0) / N.

request_n(0, _, Ids) -> Ids;
request_n(N, Holder, Ids) ->
    Id = gen_server:send_request(Holder, ping),
    erlang:start_timer(3000, self(), Id),
    request_n(N - 1, Holder, gen_server:reqids_add(Id, N, Ids)).

%% ---- JSON ----

json(Rows, Reps) ->
    Lines = [io_lib:format("  {\"key\": \"~s\", \"scenario\": \"~s\", \"value\": ~s, \"unit\": \"~s\", \"note\": \"~s\"}",
                           [K, S, float_to_list(float(V), [{decimals, 6}, compact]), U, Note])
             || {K, S, V, U, Note} <- Rows],
    ["{\"peer\": \"erlang\", \"version\": \"", erlang:system_info(otp_release), "\", \"workers\": ",
     integer_to_list(erlang:system_info(schedulers_online)), ", \"reps\": ", integer_to_list(Reps),
     ", \"rows\": [\n", lists:join(",\n", Lines), "\n]}\n"].
