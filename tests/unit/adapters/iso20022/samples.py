"""Messages written by hand (not by our writers), so the readers are checked against the
standard rather than against themselves, plus a small pain.001 to build."""

from datetime import UTC, date, datetime

from payments.adapters.iso20022.pain001 import CreditTransfer, Pain001, Party

PAIN002 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.12">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>VCB-PSR-0001</MsgId><CreDtTm>2024-08-21T09:15:00+07:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts>
      <OrgnlMsgId>B-2024-08-1a2b3c4d5e6f</OrgnlMsgId>
      <OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
      <GrpSts>PART</GrpSts>
    </OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>B-2024-08-1a2b3c4d5e6f</OrgnlPmtInfId>
      <TxInfAndSts>
        <OrgnlInstrId>B-2024-08-1a2b3c4d5e6f/000001</OrgnlInstrId>
        <OrgnlEndToEndId>P-LD-2024-08-000001</OrgnlEndToEndId>
        <TxSts>ACSC</TxSts>
        <AcctSvcrRef>FT24234000001</AcctSvcrRef>
        <OrgnlTxRef><Amt><InstdAmt Ccy="VND">750000</InstdAmt></Amt></OrgnlTxRef>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlInstrId>B-2024-08-1a2b3c4d5e6f/000002</OrgnlInstrId>
        <OrgnlEndToEndId>P-LD-2024-08-000002</OrgnlEndToEndId>
        <TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Tai khoan da dong</AddtlInf></StsRsnInf>
      </TxInfAndSts>
      <TxInfAndSts>
        <OrgnlInstrId>B-2024-08-1a2b3c4d5e6f/000003</OrgnlInstrId>
        <OrgnlEndToEndId>P-LD-2024-08-000003</OrgnlEndToEndId>
        <TxSts>PDNG</TxSts>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>
"""

CAMT053 = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>VCB-EOD-20240821</MsgId><CreDtTm>2024-08-21T23:30:00+07:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-20240821-1</Id>
      <ElctrncSeqNb>235</ElctrncSeqNb>
      <Acct><Id><Othr><Id>0071000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
      <Bal>
        <Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="VND">1000000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-08-21</Dt></Dt>
      </Bal>
      <Bal>
        <Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>
        <Amt Ccy="VND">250000.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2024-08-21</Dt></Dt>
      </Bal>
      <Ntry>
        <Amt Ccy="VND">750000</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2024-08-21</Dt></BookgDt>
        <ValDt><DtTm>2024-08-21T20:00:00Z</DtTm></ValDt>
        <AcctSvcrRef>FT24234000001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs>
            <PmtInfId>B-2024-08-1a2b3c4d5e6f</PmtInfId>
            <InstrId>B-2024-08-1a2b3c4d5e6f/000001</InstrId>
            <EndToEndId>P-LD-2024-08-000001</EndToEndId>
          </Refs>
          <Amt Ccy="VND">750000</Amt>
          <CdtDbtInd>DBIT</CdtDbtInd>
          <RltdPties><Cdtr><Pty><Nm>NGUYEN THI DAO</Nm></Pty></Cdtr></RltdPties>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="VND">500000</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2024-08-21</Dt></BookgDt>
        <AcctSvcrRef>FT24234000002</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls>
          <Btch>
            <PmtInfId>B-2024-08-99aa</PmtInfId><NbOfTxs>2</NbOfTxs><TtlAmt Ccy="VND">500000</TtlAmt>
            <CdtDbtInd>DBIT</CdtDbtInd>
          </Btch>
          <TxDtls>
            <Refs><EndToEndId>P-LD-2024-08-000010</EndToEndId></Refs><Amt Ccy="VND">200000</Amt>
          </TxDtls>
          <TxDtls>
            <Refs><EndToEndId>P-LD-2024-08-000011</EndToEndId></Refs><Amt Ccy="VND">300000</Amt>
          </TxDtls>
        </NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""

CAMT054_RETURN = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>VCB-NTF-77</MsgId><CreDtTm>2024-08-23T10:00:00+07:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>NTF-77</Id>
      <Acct><Id><Othr><Id>0071000123456</Id></Othr></Id></Acct>
      <Ntry>
        <Amt Ccy="VND">750000</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2024-08-23</Dt></BookgDt>
        <AcctSvcrRef>RT24236000001</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>RRTN</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>P-LD-2024-08-000001</EndToEndId></Refs>
          <Amt Ccy="VND">750000</Amt>
          <RtrInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Account closed after crediting</AddtlInf></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>
"""


def transfer(n: int, amount_vnd: int = 500_000, **changes) -> CreditTransfer:
    values = {
        "end_to_end_id": f"P-LD-2024-08-{n:06d}",
        "instruction_id": f"B-2024-08-1a2b/{n:06d}",
        "amount_vnd": amount_vnd,
        "creditor_name": "NGUYEN THI DAO",
        "creditor_account": f"10220033{n:04d}",
        "creditor_bin": "970415",
        "remittance": "BTXH 2024-08",
    }
    return CreditTransfer(**{**values, **changes})


def message(*transfers: CreditTransfer, message_id: str = "B-2024-08-1a2b3c4d5e6f") -> Pain001:
    return Pain001(
        message_id=message_id,
        payment_info_id=message_id,
        created_at=datetime(2024, 8, 20, 3, 0, tzinfo=UTC),
        execution_date=date(2024, 8, 21),
        initiating_party="SO LDTBXH LAM DONG",
        debtor=Party("SO LDTBXH LAM DONG", "0071000123456", "970436"),
        transfers=transfers or (transfer(1), transfer(2, 750_000)),
    )
