# PermWatch for the administrator's shell: commands around `permwatch.exe
# ... --json` that return typed objects (PermWatch.format.ps1xml gives each a
# table view) and ErrorRecords, and the cluster-wide deployment.
# Windows PowerShell 5.1 and PowerShell 7: no syntax newer than 5.1 (no ?? or
# ternaries; tests/powershell/Module.Tests.ps1 checks the syntax tree).
Set-StrictMode -Version Latest

# The install path the MSI uses on every node.
$script:DefaultExeRelative = 'PermWatch\permwatch.exe'

#region Private: running permwatch.exe and judging its exit code

# Runs on the computer that has the exe: locally, or on a node through
# Invoke-Command (the marker line lets the deployment's tests tell the
# node-side steps apart). Returns the exit code and stdout/stderr as text.
$script:RunExe = {
    # PermWatch node step: permwatch
    param([string] $Exe, [string] $Wine, [string[]] $Arguments)
    # Windows PowerShell 5.1 turns a native command's stderr line into a
    # terminating error when 2>&1 meets ErrorActionPreference Stop; here
    # stderr is data (permwatch's one-line reasons), judged by the caller.
    $ErrorActionPreference = 'Continue'
    if (-not $Exe) { $Exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe' }
    if ($Wine) { $all = & $Wine $Exe @Arguments 2>&1 } else { $all = & $Exe @Arguments 2>&1 }
    $code = $LASTEXITCODE
    $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
    $err = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } |
            ForEach-Object { $_.Exception.Message })
    [pscustomobject]@{ ExitCode = $code; Output = ($out -join "`n"); ErrorText = ($err -join "`n") }
}

# Where permwatch.exe is and how it is reached; the only place that knows.
# Locally: -ExePath, else $env:PERMWATCH_EXE, else the MSI's path; when
# $env:PERMWATCH_WINE names a command (Linux: 'wine'), the exe runs through it.
# On another computer: Invoke-Command, with -ExePath or the node's MSI path.
function Invoke-PermWatchExe {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [string] $ExePath,
        [string] $ComputerName
    )
    if ($ComputerName -and -not (Test-PermWatchLocalComputer $ComputerName)) {
        try {
            return Invoke-Command -ComputerName $ComputerName -ScriptBlock $script:RunExe `
                -ArgumentList $ExePath, $null, $ArgumentList -ErrorAction Stop
        }
        catch {
            throw (New-PermWatchError -Message "cannot run permwatch on ${ComputerName}: $($_.Exception.Message)" `
                    -ErrorId 'PermWatch.Unreachable' -Category ConnectionError -TargetObject $ComputerName `
                    -InnerException $_.Exception)
        }
    }
    $exe = $ExePath
    if (-not $exe) { $exe = $env:PERMWATCH_EXE }
    if (-not $exe) { $exe = Join-Path $env:ProgramFiles $script:DefaultExeRelative }
    $wine = $env:PERMWATCH_WINE
    if (-not $wine -and -not (Test-Path -LiteralPath $exe -PathType Leaf)) {
        throw (New-PermWatchError -Message "permwatch.exe not found at $exe (give -ExePath or set `$env:PERMWATCH_EXE)" `
                -ErrorId 'PermWatch.ExeNotFound' -Category ObjectNotFound -TargetObject $exe)
    }
    & $script:RunExe $exe $wine $ArgumentList
}

function Test-PermWatchLocalComputer([string] $Name) {
    $Name -in @('.', 'localhost', '127.0.0.1', '::1', [System.Environment]::MachineName)
}

function New-PermWatchError {
    param(
        [Parameter(Mandatory)] [string] $Message,
        [Parameter(Mandatory)] [string] $ErrorId,
        [Parameter(Mandatory)] [System.Management.Automation.ErrorCategory] $Category,
        $TargetObject,
        [Exception] $InnerException,
        [int] $ExitCode = -1
    )
    if ($InnerException) {
        $exception = New-Object System.InvalidOperationException -ArgumentList $Message, $InnerException
    }
    else {
        $exception = New-Object System.InvalidOperationException -ArgumentList $Message
    }
    # Scripts can tell permwatch's exit code without parsing the message.
    $exception.Data['PermWatchExitCode'] = $ExitCode
    New-Object System.Management.Automation.ErrorRecord -ArgumentList $exception, $ErrorId, $Category, $TargetObject
}

# One run of permwatch with --json, judged by its exit code (README, "Commands"):
# returns Document (the parsed JSON, when there is one), ExitCode, and Error
# with Terminating when the caller must report one. 2 (error) and 3 (not
# permitted) end the command; 4 is "not there" for that target (the service
# for status, the cluster for --cluster); the caller reports it and goes on.
function Invoke-PermWatchJson {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [string] $ExePath,
        [string] $ComputerName,
        [Parameter(Mandatory)] $Target
    )
    $run = Invoke-PermWatchExe -ArgumentList $ArgumentList -ExePath $ExePath -ComputerName $ComputerName
    $what = 'permwatch ' + (($ArgumentList | Where-Object { $_ -ne '--json' }) -join ' ')
    $where = ''
    if ($ComputerName) { $where = " on $ComputerName" }
    $said = ($run.ErrorText -split "`n" | Where-Object { $_ -match '^permwatch: ' }) -join '; '
    if (-not $said) { $said = $run.ErrorText.Trim() }
    $result = [pscustomobject]@{ Document = $null; ExitCode = $run.ExitCode; Error = $null; Terminating = $false }
    $cluster = $ArgumentList -contains '--cluster'
    switch ($run.ExitCode) {
        3 {
            $result.Error = New-PermWatchError -Message "$what$where was not permitted: $said" `
                -ErrorId 'PermWatch.NotPermitted' -Category PermissionDenied -TargetObject $Target -ExitCode 3
            $result.Terminating = $true
            return $result
        }
        4 {
            if ($cluster) {
                $result.Error = New-PermWatchError -Message "no cluster$where`: $said" `
                    -ErrorId 'PermWatch.NoCluster' -Category ObjectNotFound -TargetObject $Target -ExitCode 4
            }
            else {
                $result.Error = New-PermWatchError -Message "PermWatch is not reachable$where`: $said" `
                    -ErrorId 'PermWatch.ServiceNotReachable' -Category ResourceUnavailable -TargetObject $Target -ExitCode 4
            }
            return $result
        }
    }
    if ($run.ExitCode -notin 0, 1, 2) {
        $result.Error = New-PermWatchError -Message "$what$where exited with $($run.ExitCode): $said" `
            -ErrorId 'PermWatch.UnexpectedExit' -Category InvalidResult -TargetObject $Target -ExitCode $run.ExitCode
        $result.Terminating = $true
        return $result
    }
    # check and repair print their document with exit 2 too (a key in error).
    if ($run.Output.Trim()) {
        try {
            $result.Document = $run.Output | ConvertFrom-Json -ErrorAction Stop
        }
        catch {
            $result.Error = New-PermWatchError -Message "$what$where printed something that is not JSON: $($_.Exception.Message)" `
                -ErrorId 'PermWatch.UnreadableOutput' -Category InvalidData -TargetObject $Target `
                -InnerException $_.Exception -ExitCode $run.ExitCode
            $result.Terminating = $true
            return $result
        }
    }
    if ($run.ExitCode -eq 2) {
        $result.Error = New-PermWatchError -Message "$what$where failed: $said" `
            -ErrorId 'PermWatch.CommandFailed' -Category InvalidOperation -TargetObject $Target -ExitCode 2
        $result.Terminating = $true
    }
    elseif (-not $result.Document) {
        $result.Error = New-PermWatchError -Message "$what$where printed no JSON (exit $($run.ExitCode)): $said" `
            -ErrorId 'PermWatch.UnreadableOutput' -Category InvalidData -TargetObject $Target -ExitCode $run.ExitCode
        $result.Terminating = $true
    }
    $result
}

# --config F for the commands that take one.
function Get-PermWatchConfigArgument([string] $ConfigPath) {
    if ($ConfigPath) { return @('--config', $ConfigPath) }
    @()
}

#endregion

#region Private: JSON to typed objects

# PowerShell 7's ConvertFrom-Json turns ISO times into DateTime already;
# 5.1 leaves strings. Either way: a UTC DateTime, or $null.
function ConvertTo-PermWatchTime($Value) {
    if ($null -eq $Value -or '' -eq $Value) { return $null }
    if ($Value -is [datetime]) { return $Value.ToUniversalTime() }
    if ($Value -is [System.DateTimeOffset]) { return $Value.UtcDateTime }
    [datetime]::Parse([string]$Value, [System.Globalization.CultureInfo]::InvariantCulture,
        [System.Globalization.DateTimeStyles]::RoundtripKind).ToUniversalTime()
}

# A member of a parsed JSON object, or $null when it is absent (StrictMode
# makes a missing property an error, and older permwatch versions write
# fewer members).
function Get-JsonMember($Object, [string] $Name) {
    if ($null -eq $Object) { return $null }
    $p = $Object.PSObject.Properties[$Name]
    if ($p) { return $p.Value }
    $null
}

function ConvertTo-PermWatchFinding($Finding) {
    [pscustomobject]@{
        PSTypeName = 'PermWatch.Finding'
        Kind       = Get-JsonMember $Finding 'kind'
        Principal  = Get-JsonMember $Finding 'principal'
        Message    = Get-JsonMember $Finding 'message'
        Severity   = Get-JsonMember $Finding 'severity'
    }
}

function ConvertTo-PermWatchKeyState($Key, [string] $ComputerName) {
    [pscustomobject]@{
        PSTypeName    = 'PermWatch.KeyState'
        ComputerName  = $ComputerName
        Path          = Get-JsonMember $Key 'path'
        State         = Get-JsonMember $Key 'state'
        # absent: a checkpoint learned from the cluster that is not on this
        # node yet; the restore creates it, so nothing there is wrong.
        Compliant     = (Get-JsonMember $Key 'state') -in 'compliant', 'repaired', 'absent'
        Sddl          = Get-JsonMember $Key 'sddl'
        PlannedSddl   = Get-JsonMember $Key 'planned_sddl'
        Findings      = @(@(Get-JsonMember $Key 'findings') | Where-Object { $null -ne $_ } |
                ForEach-Object { ConvertTo-PermWatchFinding $_ })
        NotRepairable = @(@(Get-JsonMember $Key 'not_repairable') | Where-Object { $null -ne $_ })
        LastCheck     = ConvertTo-PermWatchTime (Get-JsonMember $Key 'last_check')
        LastRepair    = ConvertTo-PermWatchTime (Get-JsonMember $Key 'last_repair')
        Repairs       = Get-JsonMember $Key 'repairs'
    }
}

function ConvertTo-PermWatchStatus($Document, [string] $ComputerName) {
    $keys = @(@(Get-JsonMember $Document 'keys') | Where-Object { $null -ne $_ } |
            ForEach-Object { ConvertTo-PermWatchKeyState $_ $ComputerName })
    $repairs = @($keys | Where-Object { $_.LastRepair } | ForEach-Object { $_.LastRepair } | Sort-Object)
    $lastRepair = $null
    if ($repairs.Count) { $lastRepair = $repairs[-1] }
    $config = Get-JsonMember $Document 'config'
    [pscustomobject]@{
        PSTypeName   = 'PermWatch.Status'
        ComputerName = $ComputerName
        Version      = Get-JsonMember $Document 'version'
        Mode         = Get-JsonMember $Document 'mode'
        ConfigPath   = Get-JsonMember $config 'path'
        Compliant    = -not @($keys | Where-Object { -not $_.Compliant }).Count
        KeyCount     = $keys.Count
        Drift        = @($keys | Where-Object { $_.State -in 'drift', 'flapping' }).Count
        Errors       = @($keys | Where-Object { $_.State -eq 'error' }).Count
        LastRepair   = $lastRepair
        Keys         = $keys
        Cluster      = Get-JsonMember $Document 'cluster'
        Counters     = Get-JsonMember $Document 'counters'
        Journal      = Get-JsonMember $Document 'journal'
    }
}

function ConvertTo-PermWatchClusterNode($Node, [string] $Cluster) {
    $keys = Get-JsonMember $Node 'keys'
    [pscustomobject]@{
        PSTypeName          = 'PermWatch.ClusterNodeStatus'
        Cluster             = $Cluster
        Node                = Get-JsonMember $Node 'node'
        ClusterState        = Get-JsonMember $Node 'cluster_state'
        PermWatch           = Get-JsonMember $Node 'permwatch'
        Running             = [bool](Get-JsonMember $Node 'running')
        Heartbeat           = ConvertTo-PermWatchTime (Get-JsonMember $Node 'heartbeat')
        HeartbeatAgeSeconds = Get-JsonMember $Node 'heartbeat_age_s'
        Version             = Get-JsonMember $Node 'version'
        Mode                = Get-JsonMember $Node 'mode'
        Compliant           = Get-JsonMember $keys 'compliant'
        Drift               = Get-JsonMember $keys 'drift'
        Error               = Get-JsonMember $keys 'error'
        LastRepair          = ConvertTo-PermWatchTime (Get-JsonMember $Node 'last_repair')
        CheckpointsUnknown  = @(@(Get-JsonMember $Node 'checkpoints_unknown') | Where-Object { $null -ne $_ })
    }
}

# check --cluster's document as one row per group, node and key (a node with
# no key for the group: one row, Key $null), each Ready or not with the
# reasons, plus the whole answer's Ready.
function ConvertTo-PermWatchClusterCheck($Document, [string] $ComputerName) {
    $notReady = @(@(Get-JsonMember $Document 'not_ready') | Where-Object { $null -ne $_ })
    $used = @{}
    $rows = New-Object System.Collections.Generic.List[object]
    $newRow = {
        param($group, $node, $key, $ready, $reasons, $details, $resource)
        [pscustomobject]@{
            PSTypeName = 'PermWatch.ClusterCheckRow'
            Group      = $group
            Node       = $node
            Key        = $key
            Ready      = $ready
            Reason     = ($reasons -join ', ')
            Detail     = ($details -join '; ')
            Resource   = $resource
        }
    }
    foreach ($group in @(Get-JsonMember $Document 'groups') | Where-Object { $null -ne $_ }) {
        $name = Get-JsonMember $group 'group'
        $keys = @(@(Get-JsonMember $group 'keys') | Where-Object { $null -ne $_ })
        if (-not $keys.Count) { $keys = @($null) }
        foreach ($node in @(Get-JsonMember $group 'nodes') | Where-Object { $null -ne $_ }) {
            foreach ($key in $keys) {
                $hits = @()
                for ($i = 0; $i -lt $notReady.Count; $i++) {
                    $n = $notReady[$i]
                    $nKey = Get-JsonMember $n 'key'
                    if ((Get-JsonMember $n 'node') -eq $node -and (Get-JsonMember $n 'group') -eq $name -and
                        ($null -eq $nKey -or $nKey -eq $key)) {
                        $hits += $n
                        $used[$i] = $true
                    }
                }
                $rows.Add((& $newRow $name $node $key (-not $hits.Count) @($hits | ForEach-Object { $_.reason }) `
                            @($hits | ForEach-Object { $_.detail }) $null))
            }
        }
        foreach ($node in @(Get-JsonMember $group 'skipped_down') | Where-Object { $null -ne $_ }) {
            $rows.Add((& $newRow $name $node $null $true @('skipped: node down') @() $null))
        }
    }
    # A reason about no listed node (a resource "this node" could not read).
    for ($i = 0; $i -lt $notReady.Count; $i++) {
        if ($used.ContainsKey($i)) { continue }
        $n = $notReady[$i]
        $rows.Add((& $newRow (Get-JsonMember $n 'group') (Get-JsonMember $n 'node') (Get-JsonMember $n 'key') $false `
                    @(Get-JsonMember $n 'reason') @(Get-JsonMember $n 'detail') (Get-JsonMember $n 'resource')))
    }
    $all = $rows.ToArray()
    [pscustomobject]@{
        PSTypeName   = 'PermWatch.ClusterCheck'
        ComputerName = $ComputerName
        Cluster      = Get-JsonMember $Document 'cluster'
        Time         = ConvertTo-PermWatchTime (Get-JsonMember $Document 'time')
        Ready        = [bool](Get-JsonMember $Document 'ready')
        Groups       = @(@(Get-JsonMember $Document 'groups') | Where-Object { $null -ne $_ } | ForEach-Object { $_.group })
        Rows         = $all
        NotReady     = @($all | Where-Object { -not $_.Ready })
    }
}

# HKLM\ and HKEY_LOCAL_MACHINE\ name the same key, in any case.
function ConvertTo-PermWatchKeyName([string] $Path) {
    $short = $Path -replace '^HKEY_LOCAL_MACHINE\\', 'HKLM\'
    $short.ToUpperInvariant()
}

#endregion

#region Public: status and the pre-flight

<#
.SYNOPSIS
    The state of PermWatch on this computer or on cluster nodes: its mode, and each key's state.
.DESCRIPTION
    Runs `permwatch.exe status --json`, which asks the running PermWatch over
    its pipe, and returns one PermWatch.Status object per computer (Keys holds
    a PermWatch.KeyState per key). A computer whose PermWatch does not answer
    (exit 4) is a non-terminating error, category ResourceUnavailable, whose
    target is the computer; the others are still reported. Remote computers
    are asked through Invoke-Command (WinRM), with the exe the MSI installed.
.PARAMETER ComputerName
    Computers to ask; takes pipeline input, by value or from a Name property
    (Get-ClusterNode). Default: this computer.
.PARAMETER ConfigPath
    The config the watchdog runs with (its pipe name is read from it).
.PARAMETER ExePath
    permwatch.exe to run (default: $env:PERMWATCH_EXE, else
    %ProgramFiles%\PermWatch\permwatch.exe).
.EXAMPLE
    Get-ClusterNode | Get-PermWatchStatus

    One row per node: version, mode, keys, compliant, drift, errors, last repair.
.EXAMPLE
    (Get-PermWatchStatus).Keys | Where-Object { -not $_.Compliant }

    The keys of this computer that are not compliant, with their findings.
#>
function Get-PermWatchStatus {
    [CmdletBinding()]
    [OutputType('PermWatch.Status')]
    param(
        [Parameter(ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('Name', 'NodeName', 'CN')]
        [string[]] $ComputerName,
        [string] $ConfigPath,
        [string] $ExePath
    )
    process {
        $targets = $ComputerName
        if (-not $targets) { $targets = @([System.Environment]::MachineName) }
        foreach ($computer in $targets) {
            $remote = $null
            if ($ComputerName) { $remote = $computer }
            $arguments = @('status') + (Get-PermWatchConfigArgument $ConfigPath) + '--json'
            try {
                $r = Invoke-PermWatchJson -ArgumentList $arguments -ExePath $ExePath -ComputerName $remote -Target $computer
            }
            catch {
                # One computer out of reach does not stop the others.
                if ($_.FullyQualifiedErrorId -notlike 'PermWatch.Unreachable*') { $PSCmdlet.ThrowTerminatingError($_) }
                $PSCmdlet.WriteError($_)
                continue
            }
            if ($r.Error) {
                if ($r.Terminating) { $PSCmdlet.ThrowTerminatingError($r.Error) }
                $PSCmdlet.WriteError($r.Error)
                continue
            }
            ConvertTo-PermWatchStatus $r.Document $computer
        }
    }
}

<#
.SYNOPSIS
    Every cluster node's PermWatch, as the nodes published it in the cluster database.
.DESCRIPTION
    Runs `permwatch.exe status --cluster --json` on this computer (or on
    -ComputerName) and returns one PermWatch.ClusterNodeStatus per node:
    the Cluster service's state of the node, whether PermWatch runs there and
    how fresh its heartbeat is, its mode and its keys compliant/drift/error.
    No cluster (exit 4) is a non-terminating error, category ObjectNotFound,
    ErrorId PermWatch.NoCluster.
.PARAMETER ComputerName
    A node to ask from (through Invoke-Command). Default: this computer.
.PARAMETER ExePath
    permwatch.exe to run (default: $env:PERMWATCH_EXE, else the MSI's path).
.EXAMPLE
    Get-PermWatchClusterStatus | Where-Object { -not $_.Running -or $_.Drift }

    The nodes where PermWatch is not running or a key has drifted.
#>
function Get-PermWatchClusterStatus {
    [CmdletBinding()]
    [OutputType('PermWatch.ClusterNodeStatus')]
    param(
        [string] $ComputerName,
        [string] $ExePath
    )
    $target = $ComputerName
    if (-not $target) { $target = [System.Environment]::MachineName }
    $r = Invoke-PermWatchJson -ArgumentList @('status', '--cluster', '--json') -ExePath $ExePath `
        -ComputerName $ComputerName -Target $target
    if ($r.Error) {
        if ($r.Terminating) { $PSCmdlet.ThrowTerminatingError($r.Error) }
        $PSCmdlet.WriteError($r.Error)
        return
    }
    $cluster = Get-JsonMember $r.Document 'cluster'
    foreach ($node in @(Get-JsonMember $r.Document 'nodes') | Where-Object { $null -ne $_ }) {
        ConvertTo-PermWatchClusterNode $node $cluster
    }
}

<#
.SYNOPSIS
    The pre-flight before a move: is every node that may own the group ready?
.DESCRIPTION
    Runs `permwatch.exe check --cluster [--group G] --json` and returns one
    PermWatch.ClusterCheck: Ready (the answer), and Rows, one
    PermWatch.ClusterCheckRow per group, node and checkpointed key, each with
    Ready and, when not, the reason (drift, error, not watched, stale
    heartbeat, not running, no summary, unreadable, checkpoints unknown).
    With -Quiet only the boolean is returned, as Test-Path does.
    No cluster (exit 4) is a non-terminating error (PermWatch.NoCluster,
    ObjectNotFound; -Quiet then returns $false); a failure of permwatch
    (exit 2) is a terminating error.
.PARAMETER Group
    The cluster group about to move. Default: every group.
.PARAMETER Quiet
    Return only $true (ready) or $false.
.PARAMETER ComputerName
    The node to run the check on (through Invoke-Command). Default: this computer.
.PARAMETER ExePath
    permwatch.exe to run (default: $env:PERMWATCH_EXE, else the MSI's path).
.EXAMPLE
    if (Test-PermWatchCluster -Group 'Exchange Group' -Quiet) { Move-ClusterGroup 'Exchange Group' -Node NODE2 }

    Moves the group only when every node that may own it has its checkpointed keys compliant.
.EXAMPLE
    (Test-PermWatchCluster -Group 'Exchange Group').NotReady | Format-Table Node, Key, Reason, Detail

    What stands in the way, per node and key.
#>
function Test-PermWatchCluster {
    [CmdletBinding()]
    [OutputType('PermWatch.ClusterCheck', [bool])]
    param(
        [string] $Group,
        [switch] $Quiet,
        [string] $ComputerName,
        [string] $ExePath
    )
    $arguments = @('check', '--cluster')
    if ($Group) { $arguments += @('--group', $Group) }
    $arguments += '--json'
    $target = $Group
    if (-not $target) { $target = $ComputerName }
    if (-not $target) { $target = [System.Environment]::MachineName }
    $r = Invoke-PermWatchJson -ArgumentList $arguments -ExePath $ExePath -ComputerName $ComputerName -Target $target
    if ($r.Error) {
        if ($r.Terminating) { $PSCmdlet.ThrowTerminatingError($r.Error) }
        $PSCmdlet.WriteError($r.Error)
        if ($Quiet) { return $false }
        return
    }
    $check = ConvertTo-PermWatchClusterCheck $r.Document $ComputerName
    # The exit code is the contract's answer; the document must agree with it.
    if ($check.Ready -ne ($r.ExitCode -eq 0)) {
        $PSCmdlet.ThrowTerminatingError((New-PermWatchError -Message "check --cluster exited $($r.ExitCode) but its document says ready=$($check.Ready)" `
                    -ErrorId 'PermWatch.UnreadableOutput' -Category InvalidData -TargetObject $target -ExitCode $r.ExitCode))
    }
    if ($Quiet) { return $check.Ready }
    $check
}

#endregion

#region Public: the journal, repair and rollback

<#
.SYNOPSIS
    The journal of PermWatch's descriptor writes, as objects.
.DESCRIPTION
    Reads the journal (JSON lines, written before every DACL write) and its
    rotated files, oldest first (journal.jsonl.5 ... .1, then journal.jsonl),
    and returns one PermWatch.JournalEntry per line: Id, Time (UTC), Key,
    Reason (drift, failover, post_online, rollback, manual), Before and After
    (SDDL), and the file and line it came from. A line that cannot be read is
    a non-terminating error (InvalidData) naming the file and line; a torn last
    line (a crash during its append, so its write was never made) is a warning.
.PARAMETER Key
    Only entries for these keys (HKLM\ and HKEY_LOCAL_MACHINE\ alike, any case).
.PARAMETER Since
    Only entries written at or after this time.
.PARAMETER Last
    Only the last N entries (after the other filters).
.PARAMETER Path
    The journal file. Default: the one -ConfigPath's config names.
.PARAMETER ConfigPath
    The config whose "journal" is read (default %ProgramData%\PermWatch\permwatch.json).
.EXAMPLE
    Get-PermWatchJournal -Key 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeES' -Since (Get-Date).AddDays(-1)

    What PermWatch wrote to that key in the last day, before and after.
.EXAMPLE
    Get-PermWatchJournal -Last 5 | Format-List Id, Time, Key, Reason, Before, After
#>
function Get-PermWatchJournal {
    [CmdletBinding()]
    [OutputType('PermWatch.JournalEntry')]
    param(
        [Parameter(Position = 0)] [string[]] $Key,
        [datetime] $Since,
        [ValidateRange(1, [int]::MaxValue)] [int] $Last,
        [string] $Path,
        [string] $ConfigPath
    )
    if (-not $Path) {
        if (-not $ConfigPath) { $ConfigPath = Join-Path $env:ProgramData 'PermWatch\permwatch.json' }
        $Path = Join-Path $env:ProgramData 'PermWatch\journal.jsonl'
        try {
            $config = Get-Content -LiteralPath $ConfigPath -Raw -ErrorAction Stop | ConvertFrom-Json -ErrorAction Stop
            $named = Get-JsonMember $config 'journal'
            if ($named) { $Path = [System.Environment]::ExpandEnvironmentVariables([string]$named) }
        }
        catch {
            $PSCmdlet.ThrowTerminatingError((New-PermWatchError -Message "cannot read the config $ConfigPath to find the journal: $($_.Exception.Message)" `
                        -ErrorId 'PermWatch.ConfigUnreadable' -Category ReadError -TargetObject $ConfigPath -InnerException $_.Exception))
        }
    }
    $files = @(5, 4, 3, 2, 1 | ForEach-Object { "$Path.$_" } | Where-Object { Test-Path -LiteralPath $_ -PathType Leaf })
    if (Test-Path -LiteralPath $Path -PathType Leaf) { $files += $Path }
    $wanted = @($Key | Where-Object { $_ } | ForEach-Object { ConvertTo-PermWatchKeyName $_ })
    $sinceUtc = $null
    if ($PSBoundParameters.ContainsKey('Since')) { $sinceUtc = $Since.ToUniversalTime() }
    $entries = New-Object System.Collections.Generic.List[object]
    foreach ($file in $files) {
        $text = [System.IO.File]::ReadAllText($file)
        $lines = $text -split "`n"
        # The text ends with a newline, so the last piece is empty; one that is
        # not was torn by a crash during its append.
        for ($i = 0; $i -lt $lines.Count; $i++) {
            $line = $lines[$i].TrimEnd("`r")
            if (-not $line) { continue }
            $where = "$(Split-Path -Leaf $file) line $($i + 1)"
            if ($i -eq $lines.Count - 1) {
                Write-Warning "journal $where has no newline (torn by a crash during its append, so its write was never made); skipped"
                continue
            }
            $entry = $null
            try {
                $j = $line | ConvertFrom-Json -ErrorAction Stop
                foreach ($field in 'id', 'time', 'key', 'reason', 'before', 'after') {
                    if ((Get-JsonMember $j $field) -isnot [string] -and (Get-JsonMember $j $field) -isnot [datetime]) {
                        throw "member '$field' is missing or not a string"
                    }
                }
                $entry = [pscustomobject]@{
                    PSTypeName = 'PermWatch.JournalEntry'
                    Id         = [string]$j.id
                    Time       = ConvertTo-PermWatchTime $j.time
                    Key        = [string]$j.key
                    Reason     = [string]$j.reason
                    Before     = [string]$j.before
                    After      = [string]$j.after
                    File       = $file
                    Line       = $i + 1
                }
            }
            catch {
                $PSCmdlet.WriteError((New-PermWatchError -Message "journal $where cannot be read: $($_.Exception.Message)" `
                            -ErrorId 'PermWatch.JournalLineUnreadable' -Category InvalidData -TargetObject "$file`:$($i + 1)" `
                            -InnerException $_.Exception))
                continue
            }
            if ($wanted.Count -and (ConvertTo-PermWatchKeyName $entry.Key) -notin $wanted) { continue }
            if ($sinceUtc -and $entry.Time -lt $sinceUtc) { continue }
            $entries.Add($entry)
        }
    }
    $all = $entries.ToArray()
    if ($Last -and $all.Count -gt $Last) { $all = $all[($all.Count - $Last)..($all.Count - 1)] }
    $all
}

<#
.SYNOPSIS
    Repairs every key that has drifted from the policy, journaled first.
.DESCRIPTION
    First runs `permwatch.exe repair --dry-run --json`, which changes nothing,
    and shows its plan (each drifted key and the SDDL it would get). With
    -WhatIf that is all. Otherwise, once confirmed (ConfirmImpact High: it asks
    unless -Confirm:$false), runs `permwatch.exe repair --json` and returns a
    PermWatch.KeyState per key. A key that could not be repaired is a
    non-terminating error whose target is the key; exit 2 (a key in error, a
    refused config) is a terminating error after the keys are returned.
.PARAMETER ConfigPath
    The config (default %ProgramData%\PermWatch\permwatch.json).
.PARAMETER ExePath
    permwatch.exe to run (default: $env:PERMWATCH_EXE, else the MSI's path).
.EXAMPLE
    Invoke-PermWatchRepair -WhatIf

    Shows the planned SDDL of every drifted key; writes nothing.
.EXAMPLE
    Invoke-PermWatchRepair -Confirm:$false | Format-Table Path, State, Sddl
#>
function Invoke-PermWatchRepair {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('PermWatch.KeyState')]
    param(
        [string] $ConfigPath,
        [string] $ExePath
    )
    $config = Get-PermWatchConfigArgument $ConfigPath
    $target = $ConfigPath
    if (-not $target) { $target = 'the default config' }
    $plan = Invoke-PermWatchJson -ArgumentList (@('repair', '--dry-run') + $config + '--json') -ExePath $ExePath -Target $target
    $keys = @()
    if ($plan.Document) { $keys = @(@(Get-JsonMember $plan.Document 'keys') | Where-Object { $null -ne $_ } | ForEach-Object { ConvertTo-PermWatchKeyState $_ '' }) }
    if ($plan.Error) { $keys; $PSCmdlet.ThrowTerminatingError($plan.Error) }
    $todo = @($keys | Where-Object { $_.PlannedSddl })
    if (-not $todo.Count) {
        Write-Verbose 'nothing to repair: every key is compliant or cannot be repaired'
        return $keys
    }
    $lines = @($todo | ForEach-Object { "$($_.Path): $($_.State), DACL to become $($_.PlannedSddl)" })
    $description = "Repair $($todo.Count) key(s) (permwatch repair --dry-run's plan):`n" + ($lines -join "`n")
    if (-not $PSCmdlet.ShouldProcess($description, "Repair these keys? `n$($lines -join "`n")", 'Repair PermWatch keys')) {
        return
    }
    $r = Invoke-PermWatchJson -ArgumentList (@('repair') + $config + '--json') -ExePath $ExePath -Target $target
    $done = @()
    if ($r.Document) { $done = @(@(Get-JsonMember $r.Document 'keys') | Where-Object { $null -ne $_ } | ForEach-Object { ConvertTo-PermWatchKeyState $_ '' }) }
    $done
    foreach ($k in $done | Where-Object { -not $_.Compliant }) {
        $PSCmdlet.WriteError((New-PermWatchError -Message "$($k.Path) was not repaired: state $($k.State); $(@($k.Findings | ForEach-Object { $_.Message }) -join '; ')" `
                    -ErrorId 'PermWatch.NotRepaired' -Category NotSpecified -TargetObject $k.Path -ExitCode $r.ExitCode))
    }
    if ($r.Error) { $PSCmdlet.ThrowTerminatingError($r.Error) }
}

<#
.SYNOPSIS
    Rolls keys back to the descriptor the journal recorded before PermWatch wrote them.
.DESCRIPTION
    Runs `permwatch.exe rollback`: without -Id it undoes the last journaled
    write of each key (or of -Key); with -Id it restores that entry's Before.
    The rollback is itself journaled. It asks first (ConfirmImpact High);
    -WhatIf says what would be restored and runs nothing. permwatch checks
    every target against the current policy before it writes any; a refusal
    (exit 2) is a terminating error. Returns one PermWatch.RestoreResult per
    line permwatch printed.
    Takes journal entries from the pipeline (their Id and Key).
.PARAMETER Key
    Only these keys.
.PARAMETER Id
    The journal entry whose Before is restored (permwatch rollback --to ID).
.PARAMETER ConfigPath
    The config (default %ProgramData%\PermWatch\permwatch.json).
.PARAMETER ExePath
    permwatch.exe to run (default: $env:PERMWATCH_EXE, else the MSI's path).
.EXAMPLE
    Get-PermWatchJournal -Key 'HKLM\SOFTWARE\Contoso\App' -Last 1 | Restore-PermWatchKey -WhatIf

    Says what the rollback of that key's last write would restore; changes nothing.
.EXAMPLE
    Restore-PermWatchKey -Key 'HKLM\SOFTWARE\Contoso\App' -Confirm:$false
#>
function Restore-PermWatchKey {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('PermWatch.RestoreResult')]
    param(
        [Parameter(ValueFromPipelineByPropertyName)] [string[]] $Key,
        [Parameter(ValueFromPipelineByPropertyName)] [string] $Id,
        [string] $ConfigPath,
        [string] $ExePath
    )
    process {
        $arguments = @('rollback') + (Get-PermWatchConfigArgument $ConfigPath)
        if ($Id) { $arguments += @('--to', $Id) }
        foreach ($k in $Key) { $arguments += @('--key', $k) }
        $what = 'every key journaled'
        if ($Key) { $what = $Key -join ', ' }
        $action = 'Undo the last journaled write (permwatch rollback)'
        if ($Id) { $action = "Restore the DACL recorded before journal entry $Id (permwatch rollback --to $Id)" }
        if (-not $PSCmdlet.ShouldProcess($what, $action)) { return }
        $run = Invoke-PermWatchExe -ArgumentList $arguments -ExePath $ExePath
        # One line per key restored, even when another key given failed.
        $restored = @($run.Output -split "`n" | ForEach-Object { $_.TrimEnd("`r") } | Where-Object { $_ })
        foreach ($line in $restored) {
            $restoredKey = $null
            if ($line -match '^(HK[^:]+): ') { $restoredKey = $Matches[1] }
            [pscustomobject]@{ PSTypeName = 'PermWatch.RestoreResult'; Key = $restoredKey; Message = $line }
        }
        if ($run.ExitCode -ne 0) {
            $said = ($run.ErrorText -split "`n" | Where-Object { $_ -match '^permwatch: ' }) -join '; '
            if (-not $said) { $said = $run.ErrorText.Trim() }
            $category = [System.Management.Automation.ErrorCategory]::InvalidOperation
            if ($run.ExitCode -eq 3) { $category = [System.Management.Automation.ErrorCategory]::PermissionDenied }
            $outcome = 'nothing restored'
            if ($restored.Count) { $outcome = "only $($restored.Count) key(s) restored" }
            $PSCmdlet.ThrowTerminatingError((New-PermWatchError -Message "permwatch rollback exited $($run.ExitCode), $($outcome): $said" `
                        -ErrorId 'PermWatch.RollbackRefused' -Category $category -TargetObject $what -ExitCode $run.ExitCode))
        }
    }
}

#endregion

#region Public: the cluster-wide deployment

# Node-side steps of Install-PermWatch, run through Invoke-Command in one
# session per node. The first line of each names it (tests/powershell
# dispatches its Invoke-Command mock on it).

# Creates %SystemRoot%\Temp\PermWatch-<random> with the admin-only DACL in the
# same call that creates it (no moment with Temp's inherited "Users may
# create files"), and returns its path.
$script:NodeNewStaging = {
    # PermWatch node step: staging
    $name = 'PermWatch-' + [guid]::NewGuid().ToString('N')
    $path = Join-Path (Join-Path $env:SystemRoot 'Temp') $name
    if (Test-Path -LiteralPath $path) { throw "staging folder $path already exists; refusing it" }
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetSecurityDescriptorSddlForm('O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)')
    # Windows PowerShell 5.1 (.NET Framework): Directory.CreateDirectory(path, security);
    # PowerShell 7 (.NET): FileSystemAclExtensions.Create(DirectoryInfo, security).
    $create = [System.IO.Directory].GetMethod('CreateDirectory',
        [type[]] @([string], [System.Security.AccessControl.DirectorySecurity]))
    if ($create) {
        [void] $create.Invoke($null, @($path, $security))
    }
    else {
        [System.IO.FileSystemAclExtensions]::Create((New-Object System.IO.DirectoryInfo -ArgumentList $path), $security)
    }
    # CreateDirectory succeeds on an existing folder: make sure this one is
    # new, empty and carries exactly our descriptor.
    $acl = Get-Acl -LiteralPath $path
    if ($acl.Sddl -notmatch '^O:BA' -or -not $acl.AreAccessRulesProtected) {
        throw "staging folder $path did not get the admin-only DACL: $($acl.Sddl)"
    }
    if (@(Get-ChildItem -LiteralPath $path -Force).Count -ne 0) {
        throw "staging folder $path is not empty; refusing it"
    }
    $path
}

# The SHA-256 of the copy on the node, compared with the one taken where
# Install-PermWatch runs.
$script:NodeCheckHash = {
    # PermWatch node step: hash
    param($File, $Expected)
    $actual = (Get-FileHash -LiteralPath $File -Algorithm SHA256).Hash
    if ($actual -ne $Expected) {
        throw "SHA-256 of $File on $env:COMPUTERNAME is $actual, expected $Expected"
    }
}

# msiexec is a GUI-subsystem program: Start-Process -Wait gives its exit code.
$script:NodeMsiexec = {
    # PermWatch node step: msiexec
    param($Msi, $Log)
    (Start-Process -FilePath msiexec.exe -Wait -PassThru -ArgumentList "/i `"$Msi`" /qn /norestart /l*v `"$Log`"").ExitCode
}

# The MSI made %ProgramData%\PermWatch safe. The config goes in owned by
# Administrators with the folder's inherited ACEs only: PermWatch refuses
# any other owner. Then `permwatch validate`.
$script:NodePlaceConfig = {
    # PermWatch node step: config
    param($Source)
    $dest = Join-Path $env:ProgramData 'PermWatch\permwatch.json'
    Copy-Item -LiteralPath $Source -Destination $dest -Force
    & icacls.exe $dest /reset | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls /reset $dest exited with $LASTEXITCODE" }
    & icacls.exe $dest /setowner '*S-1-5-32-544' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls /setowner $dest exited with $LASTEXITCODE" }
    $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
    $out = & $exe validate --config $dest 2>&1
    if ($LASTEXITCODE -ne 0) { throw "permwatch validate: $($out -join ' ')" }
}

$script:NodeRemoveStaging = {
    # PermWatch node step: cleanup
    param($Folder)
    Remove-Item -LiteralPath $Folder -Recurse -Force
}

# The service's state and `permwatch status --json`, whether or not this run
# installed (PowerShell 7's Get-Service has no -ComputerName: it runs there).
$script:NodeState = {
    # PermWatch node step: state
    $service = Get-Service -Name PermWatch -ErrorAction SilentlyContinue
    if (-not $service) { return $null }
    $exe = Join-Path $env:ProgramFiles 'PermWatch\permwatch.exe'
    $json = & $exe status --json 2>&1   # exit 4: service not reachable
    [pscustomobject]@{ State = [string]$service.Status; Exit = $LASTEXITCODE; Json = ($json -join "`n") }
}

function New-PermWatchInstallResult([string] $Node) {
    [pscustomobject]@{
        PSTypeName    = 'PermWatch.InstallResult'
        Node          = $Node
        Result        = 'NotTouched'
        Step          = $null
        ServiceState  = $null
        Version       = $null
        Compliant     = $null
        StagingFolder = $null
        Error         = $null
    }
}

# One node, in its session: staging folder, copy, hash on the node, msiexec,
# config, clean-up. Throws with the step it failed at in $Result.Step; a
# staging folder left behind (with the msiexec log) stays named in $Result.
function Install-PermWatchOnNode {
    param($Session, $Result, [string] $MsiPath, [string] $MsiHash, [string] $ConfigPath, [string] $ConfigHash)
    $node = $Result.Node
    $Result.Step = 'staging'
    $staging = Invoke-Command -Session $Session -ScriptBlock $script:NodeNewStaging -ErrorAction Stop
    $Result.StagingFolder = $staging
    $remoteMsi = "$staging\$(Split-Path -Leaf $MsiPath)"
    $Result.Step = 'copy'
    Copy-Item -LiteralPath $MsiPath -Destination $remoteMsi -ToSession $Session -ErrorAction Stop
    $Result.Step = 'hash'
    Invoke-Command -Session $Session -ScriptBlock $script:NodeCheckHash -ArgumentList $remoteMsi, $MsiHash -ErrorAction Stop
    if ($ConfigPath) {
        $remoteConfig = "$staging\permwatch.json"
        Copy-Item -LiteralPath $ConfigPath -Destination $remoteConfig -ToSession $Session -ErrorAction Stop
        Invoke-Command -Session $Session -ScriptBlock $script:NodeCheckHash -ArgumentList $remoteConfig, $ConfigHash -ErrorAction Stop
    }
    $Result.Step = 'msiexec'
    $log = "$staging\install.log"
    $code = Invoke-Command -Session $Session -ScriptBlock $script:NodeMsiexec -ArgumentList $remoteMsi, $log -ErrorAction Stop
    if ($code -notin 0, 3010) {
        # Windows Installer rolls a failed install back: the node keeps what it had.
        throw "msiexec exited with $code; Windows Installer rolled $node back to what it had before (log: $log on $node)"
    }
    if ($code -eq 3010) { Write-Warning "${node}: installed; Windows Installer asks for a restart (3010)" }
    if ($ConfigPath) {
        $Result.Step = 'config'
        Invoke-Command -Session $Session -ScriptBlock $script:NodePlaceConfig -ArgumentList "$staging\permwatch.json" -ErrorAction Stop
    }
    $Result.Step = 'cleanup'
    Invoke-Command -Session $Session -ScriptBlock $script:NodeRemoveStaging -ArgumentList $staging -ErrorAction Stop
    $Result.StagingFolder = $null
    $Result.Step = $null
}

<#
.SYNOPSIS
    Installs or upgrades PermWatch on every node of a failover cluster, then runs the pre-flight.
.DESCRIPTION
    1. Takes the MSI's SHA-256 here, lists the nodes (Get-ClusterNode) and
       opens a PowerShell session to each. If any node is down or cannot be
       reached, it stops with a terminating error naming them before touching
       any node: PermWatch is installed on all nodes or on none.
    2. Node by node, in the cluster's order: a new folder with a random name
       under %SystemRoot%\Temp with an admin-only protected DACL given at
       creation; the MSI (and -ConfigPath) copied into it over the session;
       its SHA-256 computed on the node and compared (a mismatch stops before
       msiexec); msiexec /i /qn (0 or 3010 is success); the config put in
       place and validated; the folder removed.
    3. At the first node that fails, it stops: that node is a non-terminating
       error (its name as target, the step and why; the staging folder with
       the msiexec log is kept and named), a warning names the nodes already
       installed and those not touched, and no pre-flight runs.
    4. Otherwise, after -PreflightDelaySeconds (each service publishes its
       summary within seconds of its start), Test-PermWatchCluster runs on the
       first node and its answer is returned after the nodes' results.
    Returns one PermWatch.InstallResult per node (Result: Installed, Failed,
    NotTouched, or WhatIf), then the PermWatch.ClusterCheck.
.PARAMETER Cluster
    The cluster (Get-ClusterNode -Cluster).
.PARAMETER MsiPath
    permwatch.msi.
.PARAMETER ConfigPath
    Optional config to put at %ProgramData%\PermWatch\permwatch.json on every node.
.PARAMETER PreflightDelaySeconds
    How long to wait before the pre-flight (default 15).
.EXAMPLE
    Install-PermWatch -Cluster EXCL01 -MsiPath .\permwatch.msi -ConfigPath .\permwatch.json

    Installs on every node of EXCL01, then shows whether every node is ready.
.EXAMPLE
    Install-PermWatch -Cluster EXCL01 -MsiPath .\permwatch.msi -WhatIf
#>
function Install-PermWatch {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('PermWatch.InstallResult', 'PermWatch.ClusterCheck')]
    param(
        [Parameter(Mandatory)] [string] $Cluster,
        [Parameter(Mandatory)] [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })] [string] $MsiPath,
        [ValidateScript({ Test-Path -LiteralPath $_ -PathType Leaf })] [string] $ConfigPath,
        [ValidateRange(0, 600)] [int] $PreflightDelaySeconds = 15
    )
    $MsiPath = (Resolve-Path -LiteralPath $MsiPath).ProviderPath
    $msiName = Split-Path -Leaf $MsiPath
    $msiHash = (Get-FileHash -LiteralPath $MsiPath -Algorithm SHA256).Hash
    $configHash = $null
    if ($ConfigPath) {
        $ConfigPath = (Resolve-Path -LiteralPath $ConfigPath).ProviderPath
        $configHash = (Get-FileHash -LiteralPath $ConfigPath -Algorithm SHA256).Hash
    }
    try {
        $nodes = @(Get-ClusterNode -Cluster $Cluster -ErrorAction Stop)
    }
    catch {
        $PSCmdlet.ThrowTerminatingError((New-PermWatchError -Message "cannot list the nodes of cluster ${Cluster}: $($_.Exception.Message); nothing installed" `
                    -ErrorId 'PermWatch.ClusterUnreachable' -Category ConnectionError -TargetObject $Cluster -InnerException $_.Exception))
    }
    if (-not $nodes.Count) {
        $PSCmdlet.ThrowTerminatingError((New-PermWatchError -Message "cluster $Cluster lists no nodes; nothing installed" `
                    -ErrorId 'PermWatch.NoNodes' -Category ObjectNotFound -TargetObject $Cluster))
    }

    # 1. Every node reachable before any is touched.
    $sessions = [ordered]@{}
    $unreachable = @()
    try {
        foreach ($node in $nodes) {
            $name = [string]$node.Name
            $state = [string](Get-JsonMember $node 'State')
            if ($state -eq 'Down') { $unreachable += "$name (the cluster reports it down)"; continue }
            try {
                $sessions[$name] = New-PSSession -ComputerName $name -ErrorAction Stop
            }
            catch {
                $unreachable += "$name ($($_.Exception.Message))"
            }
        }
        if ($unreachable.Count) {
            $PSCmdlet.ThrowTerminatingError((New-PermWatchError `
                        -Message "nothing installed on any node of ${Cluster}: cannot reach $($unreachable -join '; '). Install-PermWatch installs every node or none." `
                        -ErrorId 'PermWatch.NodeUnreachable' -Category ConnectionError `
                        -TargetObject @($unreachable | ForEach-Object { ($_ -split ' ')[0] })))
        }

        # 2. Node by node; 3. stop at the first failure.
        $results = @($sessions.Keys | ForEach-Object { New-PermWatchInstallResult $_ })
        $failed = $null
        foreach ($result in $results) {
            $name = $result.Node
            if ($failed) { continue }
            if (-not $PSCmdlet.ShouldProcess($name, "Install $msiName (SHA-256 $msiHash) with msiexec")) {
                $result.Result = 'WhatIf'
                continue
            }
            try {
                Install-PermWatchOnNode -Session $sessions[$name] -Result $result -MsiPath $MsiPath -MsiHash $msiHash `
                    -ConfigPath $ConfigPath -ConfigHash $configHash
                $result.Result = 'Installed'
            }
            catch {
                $failed = $result
                $result.Result = 'Failed'
                $result.Error = "$($result.Step): $($_.Exception.Message)"
                if ($result.StagingFolder) { $result.Error += " (staging folder kept on ${name}: $($result.StagingFolder))" }
                continue
            }
            try {
                $state = Invoke-Command -Session $sessions[$name] -ScriptBlock $script:NodeState -ErrorAction Stop
                if ($state) {
                    $result.ServiceState = $state.State
                    if ($state.Exit -eq 0) {
                        $status = ConvertTo-PermWatchStatus ($state.Json | ConvertFrom-Json) $name
                        $result.Version = $status.Version
                        $result.Compliant = $status.Compliant
                    }
                }
            }
            catch {
                Write-Warning "${name}: installed, but its state could not be read: $($_.Exception.Message)"
            }
        }
    }
    finally {
        foreach ($s in $sessions.Values) { Remove-PSSession -Session $s -ErrorAction SilentlyContinue }
    }
    $results

    if ($failed) {
        $installed = @($results | Where-Object { $_.Result -eq 'Installed' } | ForEach-Object { $_.Node })
        $untouched = @($results | Where-Object { $_.Result -eq 'NotTouched' } | ForEach-Object { $_.Node })
        $PSCmdlet.WriteError((New-PermWatchError -Message "$($failed.Node): not installed, failed at $($failed.Error)" `
                    -ErrorId 'PermWatch.NodeInstallFailed' -Category InvalidResult -TargetObject $failed.Node))
        $installedText = 'none'
        if ($installed.Count) { $installedText = $installed -join ', ' }
        $untouchedText = 'none'
        if ($untouched.Count) { $untouchedText = $untouched -join ', ' }
        Write-Warning ("PermWatch is now installed on: $installedText; failed on: $($failed.Node); not touched: $untouchedText. " +
            'The cluster runs mixed versions until this is fixed and Install-PermWatch is run again; no pre-flight was run.')
        return
    }
    if ($WhatIfPreference) { return }

    # 4. The pre-flight, from the first node.
    $first = $results[0].Node
    if ($PreflightDelaySeconds) { Start-Sleep -Seconds $PreflightDelaySeconds }
    Test-PermWatchCluster -ComputerName $first
}

#endregion

Export-ModuleMember -Function @(
    'Get-PermWatchStatus', 'Get-PermWatchClusterStatus', 'Test-PermWatchCluster',
    'Get-PermWatchJournal', 'Invoke-PermWatchRepair', 'Restore-PermWatchKey', 'Install-PermWatch')
